"""Every route needs credentials except the ones the contract names (spec section 0)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

PUBLIC = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/health"),
    ("GET", "/api/ready"),
    # authenticated by what they carry instead of a bearer token (documented)
    ("PUT", "/api/uploads/{key}"),  # an HMAC-signed, expiring upload URL
    ("GET", "/api/integrations/oauth/{provider}/callback"),  # an HMAC-signed OAuth state
}


async def test_every_other_route_answers_401_without_a_token(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            if (method.upper(), path) in PUBLIC:
                continue
            url = re.sub(r"\{\w+\}", "x", path)
            answer = await client.request(method.upper(), url)
            assert answer.status_code == 401, f"{method.upper()} {path}: {answer.status_code}"
            assert answer.json()["statusCode"] == 401
            checked += 1
    assert checked >= 50


async def test_the_public_routes_answer_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/health")).status_code == 200
    assert (await client.get("/api/openapi.json")).status_code == 200
    login = await client.post("/api/auth/login", json={"email": "no@one.test", "password": "x" * 8})
    assert login.status_code == 401 and login.json()["code"] == "INVALID_CREDENTIALS"
