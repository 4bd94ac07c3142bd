"""From model answers to a result: chunks, checks, merge and grounding."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from quarry.core.errors import JobErrorCode, JobFailure
from quarry.core.fields import specs_from_wire
from quarry.engines.base import EngineContext, NullReason
from quarry.engines.llm.answers import Answer, checked_answer, read_number
from quarry.engines.llm.chunks import page_chunks
from quarry.engines.llm.engine import OpenAIEngine
from quarry.engines.llm.merge import merge_answers
from quarry.parsing.model import Page, ParsedDocument
from quarry.parsing.text import synthetic_page
from tests.fakes.llm_servers import OPENAI_KEY, FakeLlmServer, running

SPECS = specs_from_wire(
    [
        {"name": "invoice_number", "type": "text"},
        {"name": "date", "type": "date"},
        {"name": "total", "type": "number"},
        {"name": "paid", "type": "boolean"},
        {
            "name": "status",
            "type": "text",
            "possibleValues": [{"id": "o", "label": "open"}, {"id": "c", "label": "closed"}],
        },
        {
            "name": "line_items",
            "type": "object",
            "isArray": True,
            "properties": [
                {"name": "description", "type": "text"},
                {"name": "amount", "type": "number"},
            ],
        },
    ]
)
PAGE_1 = ["Rechnung Nr. 2024-117", "Datum: 7. März 2024", "Kaffee 1.234,50", "Tee 3,20"]
PAGE_2 = [
    "Rechnung Nr. 2024-117, Seite 2",
    "Tee 3,20",
    "Zucker 0,99",
    "Summe EUR 1.238,69",
    "Bezahlt: ja",
]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLlmServer]:
    with running() as server:
        yield server


def context(fake: FakeLlmServer) -> EngineContext:
    options = {"base_url": f"{fake.base_url}/v1", "model": "m", "api_key": OPENAI_KEY}
    return EngineContext(fields=SPECS, file_name="rechnung.txt", options=options)


DOCUMENT = ParsedDocument(
    pages=(synthetic_page(1, PAGE_1), synthetic_page(2, PAGE_2)), mime_type="text/plain"
)


def test_pages_stay_whole_and_together_while_they_fit_the_budget() -> None:
    pages = [synthetic_page(n, [f"page {n} " + "x" * 300]) for n in (1, 2, 3)]
    chunks = page_chunks(pages, budget_tokens=200)  # 800 characters: two pages fit
    assert [chunk.pages for chunk in chunks] == [(1, 2), (3,)]
    assert "=== Page 1 ===" in chunks[0].text and "=== Page 2 ===" in chunks[0].text


def test_a_page_larger_than_the_budget_is_cut_between_lines() -> None:
    page = synthetic_page(4, [f"line {i} " + "y" * 90 for i in range(20)])
    chunks = page_chunks([page], budget_tokens=100)
    assert len(chunks) > 1 and all(chunk.pages == (4,) for chunk in chunks)
    assert all(len(chunk.text) <= 400 for chunk in chunks)
    assert "part 1 of" in chunks[0].text
    joined = "\n".join(chunk.text for chunk in chunks)
    assert all(f"line {i} " in joined for i in range(20))


def test_answers_are_coerced_then_checked_against_the_fields() -> None:
    answer = checked_answer(
        SPECS,
        {
            "invoice_number": "2024-117",
            "date": "2024-03-07T00:00:00Z",
            "total": "EUR 1.238,69",
            "paid": "yes",
            "status": "pending",
            "line_items": [{"description": "Kaffee", "amount": "1,234.50"}, "bad item"],
            "unknown": 1,
        },
        (1,),
    )
    values = answer.values
    assert values["date"] == "2024-03-07" and values["total"] == 1238.69 and values["paid"] is True
    assert values["status"] is None
    assert answer.problems["status"] is NullReason.NOT_ALLOWED_VALUE
    assert values["line_items"] == [{"description": "Kaffee", "amount": 1234.5}]
    assert "unknown" not in values


def test_a_value_of_the_wrong_type_becomes_null_not_extracted() -> None:
    answer = checked_answer(SPECS, {"date": "March 7th", "total": "about ten"}, (1,))
    assert answer.values["date"] is None and answer.values["total"] is None
    assert answer.problems["date"] is NullReason.NOT_EXTRACTED
    assert answer.problems["total"] is NullReason.NOT_EXTRACTED


def test_a_field_left_out_of_the_answer_is_not_extracted_not_absent() -> None:
    answer = checked_answer(SPECS, {"invoice_number": None, "total": 12.5}, (1,))
    assert "invoice_number" not in answer.problems  # null on purpose: not in the document
    assert answer.problems["date"] is NullReason.NOT_EXTRACTED  # not answered at all
    assert answer.values["total"] == 12.5


def test_numbers_are_read_in_either_decimal_style() -> None:
    assert read_number("1.234,56") == 1234.56
    assert read_number("$ 1,234.56") == 1234.56
    assert read_number("12") == 12
    assert read_number("3,20") == 3.2
    assert read_number("1,234") == 1234
    assert read_number("n/a") == "n/a"


def test_merge_prefers_a_value_printed_on_its_own_chunk() -> None:
    first = Answer({"invoice_number": "2024-118", "total": None}, (1,))  # a misreading
    second = Answer({"invoice_number": "2024-117", "total": 1238.69}, (2,))
    values, _ = merge_answers(SPECS[:3], [first, second], DOCUMENT)
    assert values["invoice_number"] == "2024-117"  # page 1 does not print 2024-118
    assert values["total"] == 1238.69
    only_first = Answer({"invoice_number": "2024-118"}, (1,))
    values, _ = merge_answers(
        SPECS[:1], [only_first, Answer({"invoice_number": None}, (2,))], DOCUMENT
    )
    assert values["invoice_number"] == "2024-118"  # nothing better: the first value stays


def test_merge_concatenates_arrays_and_drops_items_repeated_from_earlier_chunks() -> None:
    items_1 = [{"description": "Kaffee", "amount": 1234.5}, {"description": "Tee", "amount": 3.2}]
    items_2 = [
        {"description": " tee ", "amount": 3.20},  # page 2 repeats the last line of page 1
        {"description": "Zucker", "amount": 0.99},
        {"description": "Zucker", "amount": 0.99},  # twice in one chunk: both stay
    ]
    specs = [spec for spec in SPECS if spec.name == "line_items"]
    values, _ = merge_answers(
        specs,
        [Answer({"line_items": items_1}, (1,)), Answer({"line_items": items_2}, (2,))],
        DOCUMENT,
    )
    assert [item["description"] for item in values["line_items"]] == [
        "Kaffee",
        "Tee",
        "Zucker",
        "Zucker",
    ]


def test_the_engine_grounds_found_values_and_flags_invented_ones(fake: FakeLlmServer) -> None:
    fake.answer = lambda request: {
        "invoice_number": "2024-117",
        "date": "2024-03-07",
        "total": 999.0,  # not printed anywhere
        "paid": None,
        "status": "maybe",  # not an allowed value
        "line_items": [{"description": "Zucker", "amount": 0.99}],
    }
    result = OpenAIEngine().extract(DOCUMENT, context(fake))
    details = result.field_details
    assert details["invoice_number"]["grounded"] is True and details["invoice_number"]["page"] == 1
    assert details["date"]["grounded"] is True  # printed as "7. März 2024"
    assert details["total"]["grounded"] is False
    assert details["total"]["confidence"] < details["invoice_number"]["confidence"]
    assert result.fields["total"] == 999.0  # kept, for a reviewer to judge
    assert details["paid"]["nullReason"] == "NOT_IN_DOCUMENT"
    assert (
        result.fields["status"] is None and details["status"]["nullReason"] == "NOT_ALLOWED_VALUE"
    )
    assert details["line_items[0].amount"]["page"] == 2
    assert result.usage == {
        "inputTokens": 120,
        "outputTokens": 30,
        "calls": 1,
        "model": "m-2026-01-01",
    }


def test_an_empty_answer_is_a_failed_call_not_absence_of_every_field(
    fake: FakeLlmServer,
) -> None:
    fake.answer = lambda request: {}

    with pytest.raises(JobFailure) as caught:
        OpenAIEngine().extract(DOCUMENT, context(fake))

    assert caught.value.code is JobErrorCode.ENGINE_ERROR
    assert caught.value.transient  # the job is tried again
    assert "empty" in caught.value.message


def test_a_retried_call_leaves_a_warning(
    fake: FakeLlmServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake.reset()
    fake.answer = lambda request: {"invoice_number": "2024-117"}
    fake.fail(503)
    options = {**context(fake).options, "max_retry_wait_seconds": 0.0}
    retried_context = EngineContext(fields=SPECS, file_name="rechnung.txt", options=options)

    with caplog.at_level(logging.WARNING):
        result = OpenAIEngine().extract(DOCUMENT, retried_context)

    assert result.fields["invoice_number"] == "2024-117"
    assert any("retried" in warning and "503" in warning for warning in result.warnings)
    assert any("retrying an LLM call" in record.message for record in caplog.records)


def test_a_document_without_text_is_not_sent_to_the_model() -> None:
    blank = ParsedDocument(pages=(Page(number=1, width=100, height=100),), mime_type="image/png")
    context = EngineContext(
        fields=SPECS,
        file_name="scan.png",
        options={"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"},
    )
    result = OpenAIEngine().extract(blank, context)  # port 9: any call would fail
    assert set(result.fields) == {spec.name for spec in SPECS}
    assert all(value is None for value in result.fields.values())
    assert {d["nullReason"] for d in result.field_details.values()} == {"NOT_EXTRACTED"}
    assert result.usage is None and result.engine["model"] == "m"
