"""Schemas over HTTP: create, validate, version, list, search, soft delete, isolation."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from quarry.core.errors import NotFound
from quarry.extraction_schemas import service
from quarry.runtime import Runtime
from tests.conftest import FIXTURES

INVOICE: dict[str, Any] = json.loads((FIXTURES / "invoice-schema.json").read_text())
User = dict[str, Any]


def text(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "text", **extra}


async def create(client: httpx.AsyncClient, user: User, **body: Any) -> dict[str, Any]:
    payload = {"name": "Receipts", "fields": [text("vendor")], **body}
    answer = await client.post("/api/schema", json=payload, headers=user["headers"])
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def refused(client: httpx.AsyncClient, user: User, body: dict[str, Any]) -> list[str]:
    answer = await client.post("/api/schema", json=body, headers=user["headers"])
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "VALIDATION_ERROR"
    return [d["field"] for d in answer.json()["details"]]


async def test_the_invoice_schema_round_trips_with_defaults_filled_in(
    client: httpx.AsyncClient, user: User
) -> None:
    created = await create(client, user, **INVOICE)
    assert created["name"] == INVOICE["name"] and created["description"] == INVOICE["description"]
    assert created["version"] == 1 and created["webhookEndpointIds"] == []
    assert created["createdAt"].endswith("Z") and created["updatedAt"] == created["createdAt"]
    fetched = await client.get(f"/api/schema/{created['id']}", headers=user["headers"])
    assert fetched.json() == created
    vendor, line_items = created["fields"][0], created["fields"][-1]
    assert vendor["required"] is True and vendor["isArray"] is False
    assert vendor["fuzzyMatch"] is False and vendor["fuzzyThreshold"] == 85
    assert [p["name"] for p in line_items["properties"]] == [
        "description",
        "quantity",
        "unit_price",
        "amount",
        "code",
    ]
    assert line_items["properties"][1] == {
        "name": "quantity",
        "type": "number",
        "required": False,
        "description": None,
        "isArray": False,
        "properties": None,
        "possibleValues": None,
        "fuzzyMatch": False,
        "fuzzyThreshold": 85,
    }


async def test_a_returned_schema_can_be_sent_back_unchanged(
    client: httpx.AsyncClient, user: User
) -> None:
    created = await create(client, user, **INVOICE)
    again = await create(client, user, name="Copy", fields=created["fields"])
    assert again["fields"] == created["fields"]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ([text("ok"), text("ok", type="number")], "fields[1].name"),
        ([text("1st")], "fields[0].name"),
        ([text("a", type="money")], "fields[0].type"),
        ([text("a"), text("b"), {"name": "c", "type": "object"}], "fields[2].properties"),
        (
            [{"name": "o", "type": "object", "properties": [text("x y")]}],
            "fields[0].properties[0].name",
        ),
        ([text("n", type="number", properties=[text("x")])], "fields[0].properties"),
        (
            [text("n", type="date", possibleValues=[{"id": "1", "label": "x"}])],
            "fields[0].possibleValues",
        ),
        (
            [text("t", possibleValues=[{"id": "1", "label": " "}])],
            "fields[0].possibleValues[0].label",
        ),
        (
            [text("t", possibleValues=[{"id": "1", "label": "a"}, {"id": "1", "label": "b"}])],
            "fields[0].possibleValues[1].id",
        ),
        ([text("t", fuzzyThreshold=150)], "fields[0].fuzzyThreshold"),
        ([text("t", isarray=True)], "fields[0].isarray"),
        ([], "fields"),
    ],
)
async def test_each_kind_of_bad_field_is_refused_where_it_is(
    client: httpx.AsyncClient, user: User, fields: list[dict[str, Any]], path: str
) -> None:
    assert await refused(client, user, {"name": "Bad", "fields": fields}) == [path]


async def test_the_body_must_be_well_formed(client: httpx.AsyncClient, user: User) -> None:
    assert await refused(client, user, {"name": "X", "fields": [text("a")], "descripton": 1}) == [
        "descripton"
    ]
    assert await refused(client, user, {"fields": [text("a")]}) == ["name"]
    assert await refused(client, user, {"name": "  ", "fields": [text("a")]}) == ["name"]
    assert await refused(client, user, {"name": "X"}) == ["fields"]


async def test_changing_fields_makes_a_new_version_and_other_changes_do_not(
    client: httpx.AsyncClient, user: User
) -> None:
    created = await create(client, user)
    url, headers = f"/api/schema/{created['id']}", user["headers"]
    renamed = (await client.patch(url, json={"name": "Till receipts"}, headers=headers)).json()
    assert (renamed["name"], renamed["version"]) == ("Till receipts", 1)
    assert renamed["updatedAt"] >= created["updatedAt"]
    same = await client.patch(
        url, json={"fields": [text("vendor", required=False)]}, headers=headers
    )
    assert same.json()["version"] == 1
    changed = await client.patch(
        url, json={"fields": [text("vendor"), text("total", type="number")]}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert [f["name"] for f in changed.json()["fields"]] == ["vendor", "total"]


async def test_a_patch_may_clear_the_description_and_set_webhook_endpoints(
    client: httpx.AsyncClient, user: User
) -> None:
    created = await create(client, user, description="old")
    url, headers = f"/api/schema/{created['id']}", user["headers"]
    hooks = [
        (
            await client.post(
                "/api/webhooks", json={"url": u, "events": ["job.completed"]}, headers=headers
            )
        ).json()["id"]
        for u in ("https://a.example/hook", "https://b.example/hook")
    ]
    body = {"description": None, "webhookEndpointIds": hooks}
    patched = (await client.patch(url, json=body, headers=headers)).json()
    assert patched["description"] is None and patched["webhookEndpointIds"] == hooks
    assert patched["version"] == 1


async def test_a_bad_patch_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, user: User
) -> None:
    created = await create(client, user)
    url, headers = f"/api/schema/{created['id']}", user["headers"]
    bad_fields = await client.patch(url, json={"fields": [text("a"), text("a")]}, headers=headers)
    assert bad_fields.status_code == 400
    assert [d["field"] for d in bad_fields.json()["details"]] == ["fields[1].name"]
    null_name = await client.patch(url, json={"name": None}, headers=headers)
    assert null_name.status_code == 400 and null_name.json()["details"][0]["field"] == "name"
    misspelt = await client.patch(url, json={"nmae": "Y"}, headers=headers)
    assert misspelt.status_code == 400 and misspelt.json()["details"][0]["field"] == "nmae"
    assert (await client.get(url, headers=headers)).json() == created


async def test_versions_are_listed_newest_first_and_readable_one_by_one(
    client: httpx.AsyncClient, user: User
) -> None:
    created = await create(client, user)
    url, headers = f"/api/schema/{created['id']}", user["headers"]
    await client.patch(url, json={"fields": [text("seller")]}, headers=headers)
    versions = (await client.get(f"{url}/versions", headers=headers)).json()
    assert (versions["total"], versions["totalPages"]) == (2, 1)
    assert [v["version"] for v in versions["data"]] == [2, 1]
    first = (await client.get(f"{url}/versions/1", headers=headers)).json()
    assert set(first) == {"schemaId", "version", "fields", "createdAt"}
    assert first["schemaId"] == created["id"] and first["fields"] == created["fields"]
    assert versions["data"][1] == first
    missing = await client.get(f"{url}/versions/3", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "SCHEMA_VERSION_NOT_FOUND"


async def test_a_deleted_schema_is_gone_but_its_versions_stay_for_jobs(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    created = await create(client, user)
    url, headers = f"/api/schema/{created['id']}", user["headers"]
    deleted = await client.delete(url, headers=headers)
    assert deleted.status_code == 204 and deleted.content == b""
    for answer in [
        await client.get(url, headers=headers),
        await client.patch(url, json={"name": "x"}, headers=headers),
        await client.delete(url, headers=headers),
        await client.get(f"{url}/versions", headers=headers),
        await client.get(f"{url}/versions/1", headers=headers),
    ]:
        assert answer.status_code == 404 and answer.json()["code"] == "SCHEMA_NOT_FOUND"
    listed = (await client.get("/api/schema", headers=headers)).json()
    assert created["id"] not in [s["id"] for s in listed["data"]]
    async with runtime.db.session() as session:
        version = await service.get_version(session, user["user"]["id"], created["id"], 1)
        assert version.fields == created["fields"]
        with pytest.raises(NotFound):
            await service.pin(session, user["user"]["id"], created["id"])


async def test_search_and_pagination(client: httpx.AsyncClient, other_user: User) -> None:
    user, headers = other_user, other_user["headers"]
    for n in range(5):
        await create(client, user, name=f"Invoice {n}")
    await create(client, user, name="Receipt", description="Till RECEIPTS of 100% shops")
    first = (await client.get("/api/schema", params={"limit": 2}, headers=headers)).json()
    assert (first["page"], first["limit"], first["total"], first["totalPages"]) == (1, 2, 6, 3)
    assert [s["name"] for s in first["data"]] == ["Receipt", "Invoice 4"]
    last = (await client.get("/api/schema", params={"limit": 2, "page": 3}, headers=headers)).json()
    assert [s["name"] for s in last["data"]] == ["Invoice 1", "Invoice 0"]
    found = await client.get("/api/schema", params={"search": "invoice"}, headers=headers)
    assert found.json()["total"] == 5
    by_description = await client.get("/api/schema", params={"search": "receipts"}, headers=headers)
    assert [s["name"] for s in by_description.json()["data"]] == ["Receipt"]
    literal = await client.get("/api/schema", params={"search": "100%"}, headers=headers)
    assert literal.json()["total"] == 1
    assert (await client.get("/api/schema", params={"search": "_"}, headers=headers)).json()[
        "total"
    ] == 0
    too_big = await client.get("/api/schema", params={"limit": 101}, headers=headers)
    assert too_big.status_code == 400


async def test_another_users_schema_is_not_found(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    created = await create(client, user)
    url, headers = f"/api/schema/{created['id']}", other_user["headers"]
    for answer in [
        await client.get(url, headers=headers),
        await client.patch(url, json={"name": "mine"}, headers=headers),
        await client.delete(url, headers=headers),
        await client.get(f"{url}/versions", headers=headers),
        await client.get(f"{url}/versions/1", headers=headers),
    ]:
        assert answer.status_code == 404 and answer.json()["code"] == "SCHEMA_NOT_FOUND"
    listed = (await client.get("/api/schema", headers=headers)).json()
    assert created["id"] not in [s["id"] for s in listed["data"]]
    still = await client.get(url, headers=user["headers"])
    assert still.json() == created


async def test_schemas_need_credentials(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/schema")
    assert answer.status_code == 401
