"""Every robustness input of shared/data/nasty through the isolated runner, 30 s limit each.

Each file ends as its README says: a specific error code, or a best-effort result whose values
show that the surviving text was read. The MIME type is the one the file's name claims, which
is what a careless uploader sends; the parsers check the bytes. The small files are copied to
tests/fixtures/nasty so the core cases run without ../shared; the two large ones run only
when it is present.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.engines.runner import IsolationLimits, extract_isolated

COPIED = Path(__file__).resolve().parents[1] / "fixtures" / "nasty"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "nasty"
LIMIT_SECONDS = 30.0
INVOICE = [
    {"name": "vendor", "type": "text"},
    {"name": "invoice_number", "type": "text"},
    {"name": "date", "type": "date"},
    {"name": "total", "type": "number"},
    {"name": "currency", "type": "text"},
]
NASTY_INVOICE = {
    "vendor": "ACME Test Supplies Ltd",
    "invoice_number": "INV-NASTY-0001",
    "date": "2024-03-15",
    "total": 24.69,
    "currency": "EUR",
}


@dataclass(frozen=True)
class Expect:
    code: JobErrorCode | None = None  # None: a result
    fields: list[dict[str, Any]] = field(default_factory=lambda: INVOICE)
    values: dict[str, Any] = field(default_factory=dict)  # expected subset of the result
    pages: int | None = None
    max_pages: int = 200


def text_field(name: str, kind: str = "text") -> list[dict[str, Any]]:
    return [{"name": name, "type": kind}]


EXPECTED: dict[str, Expect] = {
    "gen_zero_bytes.pdf": Expect(JobErrorCode.UNSUPPORTED_FILE_TYPE),
    "gen_html_renamed.pdf": Expect(JobErrorCode.UNSUPPORTED_FILE_TYPE),
    "gen_png_renamed.pdf": Expect(JobErrorCode.UNSUPPORTED_FILE_TYPE),
    "gen_truncated.pdf": Expect(values={"vendor": "ACME Test Supplies Ltd"}, pages=1),
    "gen_page_tree_cycle.pdf": Expect(values=NASTY_INVOICE, pages=1),
    "gen_huge_mediabox.pdf": Expect(values=NASTY_INVOICE, pages=1),
    "gen_flate_bomb_1GiB.pdf": Expect(JobErrorCode.RESOURCE_LIMIT),
    "gen_500_pages.pdf": Expect(JobErrorCode.TOO_MANY_PAGES),
    "gen_huge_dimensions_30000x30000.png": Expect(JobErrorCode.RESOURCE_LIMIT),
    "qpdf_bad1.pdf": Expect(JobErrorCode.UNSUPPORTED_FILE_TYPE),
    "qpdf_issue-147.pdf": Expect(JobErrorCode.UNSUPPORTED_FILE_TYPE),
    "qpdf_append-xref-loop.pdf": Expect(
        fields=text_field("potato", "number"), values={"potato": 0}, pages=30
    ),
    "qpdf_damaged-stream.pdf": Expect(fields=text_field("potato"), pages=1),
    "qpdf_deep-pages.pdf": Expect(JobErrorCode.CORRUPT_DOCUMENT),
    "qpdf_bad-jpeg.pdf": Expect(
        fields=text_field("devicergb"), values={"devicergb": "with filter /DCTDecode"}
    ),
    "opf_corruptionOneByteMissing.pdf": Expect(
        fields=text_field("test_document"),
        values={"test_document": "It only contains some text."},
    ),
    "opf_encryption_openpassword.pdf": Expect(JobErrorCode.ENCRYPTED_DOCUMENT),
    "opf_javascript.pdf": Expect(fields=text_field("javascript"), values={"javascript": "example"}),
    "pypdf_libreoffice-writer-password.pdf": Expect(JobErrorCode.ENCRYPTED_DOCUMENT),
}
MIME_BY_SUFFIX = {".pdf": "application/pdf", ".png": "image/png"}


def source(name: str) -> Path:
    for folder in (COPIED, SHARED):
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"{name} is only in ../shared/data/nasty, which is absent here")


async def extract(path: Path, expect: Expect) -> tuple[Any, float]:
    limits = IsolationLimits(LIMIT_SECONDS, memory_mb=1024, max_pages=expect.max_pages)
    started = time.monotonic()
    try:
        outcome: Any = await extract_isolated(
            path,
            mime_type=MIME_BY_SUFFIX[path.suffix],
            file_name=path.name,
            fields=expect.fields,
            engine="offline",
            limits=limits,
        )
    except JobFailure as exc:
        outcome = exc
    return outcome, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_nasty_input_ends_as_its_readme_says(name: str) -> None:
    expect = EXPECTED[name]

    outcome, seconds = await extract(source(name), expect)

    assert seconds < LIMIT_SECONDS
    if expect.code is not None:
        assert isinstance(outcome, JobFailure), f"{name}: expected {expect.code}, got a result"
        assert outcome.code is expect.code, outcome.message
        return
    assert not isinstance(outcome, JobFailure), f"{name}: {outcome}"
    assert {k: outcome.fields[k] for k in expect.values} == expect.values
    for key in expect.values:
        assert outcome.field_details[key]["grounded"] is True
    if expect.pages is not None:
        assert outcome.pages == expect.pages


@pytest.mark.slow
async def test_the_500_page_total_is_found_on_its_last_page_when_allowed() -> None:
    expect = Expect(values={"total": 12345.0, "date": "2024-03-15"}, max_pages=500)

    outcome, _ = await extract(source("gen_500_pages.pdf"), expect)

    assert outcome.fields["total"] == 12345.0
    assert outcome.field_details["total"]["page"] == 500


def test_every_shared_nasty_file_has_an_expectation() -> None:
    if not SHARED.exists():
        pytest.skip("../shared/data/nasty is absent here")
    manifest = json.loads((SHARED / "manifest.json").read_text())
    assert {entry["file"] for entry in manifest["files"]} == set(EXPECTED)
