"""Field definitions from a sample document: its label–value pairs (`ai_pairs`) and tables.

Names are the labels in snake_case; the type comes from the value (a date, an amount, yes/no,
else text), unless the name is an identifier's (`Invoice No`: text even when all digits). The
printed label is the description, so the offline engine finds the field by it. A table with
headings becomes an array of objects, one property per column (`line_items` when its
headings look like an invoice's lines).

`SchemaInference` runs all this (or the LLM's suggestion) inside the sample's isolated child
process, in an engine's place: its result's `fields` is `{"fields": [definitions]}`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from quarry.core.fields import FieldType
from quarry.engines.base import EngineContext, ExtractionResult
from quarry.engines.llm.options import LlmOptions
from quarry.engines.llm.schema_suggest import suggest_fields
from quarry.extraction_schemas.ai_pairs import Pair, field_type, label_value_pairs, labelish
from quarry.extraction_schemas.ai_prompt import (
    Definition,
    clean_definitions,
    definition,
    fields_from_prompt,
    snake_case,
    type_for_name,
    unique_names,
    wordset,
)
from quarry.parsing.model import ParsedDocument, Table

MAX_DOCUMENT_FIELDS = 60
MATCH_SCORE = 85
_SKIPPED_NAMES = frozenset({"page", "seite", "pagina", "pag", "blatt", "of"})
_ITEM_HEADINGS = wordset(
    "description item items product article artikel beschreibung omschrijving qty "
    "quantity menge aantal amount price prijs preis betrag"
)

_STOP_NAMES = frozenset({"on", "op", "of", "at", "to", "in", "by", "for", "and", "de", "la"})
_TITLE_WORDS = wordset(
    "invoice rechnung factuur facture fattura factura receipt order bestellung quote "
    "offer bill credit_note"
)


def fields_from_document(document: ParsedDocument) -> list[Definition]:
    """Fields for the pairs and tables of a sample, in reading order, at most 60."""
    pairs = [_pair_definition(pair) for pair in label_value_pairs(document)]
    tables = _table_definitions(document)
    found = unique_names([d for d in pairs if d is not None] + tables)
    return found[:MAX_DOCUMENT_FIELDS]


def _pair_definition(pair: Pair) -> Definition | None:
    label = pair.label.strip(" '\"`*-")
    name = snake_case(label)
    words = name.split("_")
    if not label[:1].isalpha() or len(name) < 2 or words[-1] in _STOP_NAMES | _SKIPPED_NAMES:
        return None  # not a label: "Page", "''iDEAL'' op"
    if name in _TITLE_WORDS and any(ch.isdigit() for ch in pair.value):
        name = f"{name}_number"  # "Invoice INV/2023/03/0008"
    return definition(name, field_type(name, pair.value), label)


def _table_definitions(document: ParsedDocument) -> list[Definition]:
    found: dict[tuple[str, ...], Definition] = {}
    for page in document.pages:
        for table in page.tables:
            header, body = _header_and_body(table)
            properties = _column_definitions(header, body)
            if len(properties) >= 2 and tuple(header) not in found:
                found[tuple(header)] = definition(
                    _table_name(header, len(found)),
                    FieldType.OBJECT,
                    "Rows of the table with columns " + ", ".join(h for h in header if h),
                    is_array=True,
                    properties=properties,
                )
    return list(found.values())


def _header_and_body(table: Table) -> tuple[list[str], list[list[str]]]:
    rows = [[cell.text.strip() for cell in row] for row in table.rows]
    header_rows = table.header_rows
    if not header_rows and rows and sum(map(labelish, rows[0])) * 2 > len(rows[0]):
        header_rows = 1  # no recognised heading: a first row of words is one
    if not header_rows:
        return [], []
    header = [
        " ".join(r[c] for r in rows[:header_rows] if c < len(r) and r[c])
        for c in range(max(map(len, rows[:header_rows])))
    ]
    return header, rows[header_rows:]


def _column_definitions(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[Definition]:
    properties = []
    for column, heading in enumerate(header):
        name = snake_case(heading) or f"column_{column + 1}"
        values = [row[column] for row in body if column < len(row) and row[column]]
        properties.append(definition(name, _column_type(name, values), heading or None))
    return unique_names(properties)


def _column_type(name: str, values: Sequence[str]) -> FieldType:
    kinds = [field_type(name, value) for value in values]
    if not kinds:
        return type_for_name(name)[0]
    best = max(set(kinds), key=kinds.count)
    return best if kinds.count(best) * 2 > len(kinds) else FieldType.TEXT


def _table_name(header: Sequence[str], position: int) -> str:
    words = {w for h in header for w in snake_case(h).split("_")}
    if position == 0 and words & _ITEM_HEADINGS:
        return "line_items"
    return f"table_{position + 1}"


# --- a prompt's fields, refined by the document --------------------------------------------


def refine_with_document(
    fields: Sequence[Definition], document: ParsedDocument
) -> list[Definition]:
    """A request's fields, typed and described from the sample where a label or a table
    column matches them: an untyped name takes the type of its value, and the description
    says how the document prints it (`Invoice number (printed as Rechnungsnr.)`)."""
    found = fields_from_document(document)
    return [_refined(field, found) for field in fields]


def _refined(field: Definition, found: Sequence[Definition]) -> Definition:
    match = _best_match(field["name"], found)
    if match is None:
        return field
    refined = dict(field)
    if field["type"] == FieldType.OBJECT.value and match["type"] == FieldType.OBJECT.value:
        refined["properties"] = [_refined(p, match["properties"]) for p in field["properties"]]
        return refined
    _, sure = type_for_name(field["name"])
    if (
        not sure
        and field["type"] != FieldType.OBJECT.value
        and match["type"] != FieldType.OBJECT.value
    ):
        refined["type"] = match["type"]
    printed = match["description"] or ""
    if printed and snake_case(printed) != field["name"]:
        refined["description"] = f"{field['description'] or printed} (printed as {printed})"
    return refined


def _best_match(name: str, found: Sequence[Definition]) -> Definition | None:
    wanted = name.replace("_", " ")
    scored = [(fuzz.token_set_ratio(wanted, d["name"].replace("_", " ")), d) for d in found]
    scored = [(score, d) for score, d in scored if score >= MATCH_SCORE]
    return max(scored, key=lambda item: item[0])[1] if scored else None


# --- in the child process ------------------------------------------------------------------


class SchemaInference:
    """In an engine's place in the sample's isolated child process (see the module doc).

    `context.options`: `mode`, `prompt` and, to ask a model instead, `llm` (the LLM engine's
    options)."""

    name = "schema-inference"
    version = "1.0.0"

    def extract(self, document: ParsedDocument, context: EngineContext) -> ExtractionResult:
        prompt = str(context.options.get("prompt") or "")
        usage = None
        engine = {"name": "offline", "version": self.version}
        if context.options.get("llm"):
            options = LlmOptions.from_mapping(context.options["llm"])
            suggestion = suggest_fields(
                options, prompt=prompt, document=document, file_name=context.file_name
            )
            definitions = clean_definitions(suggestion.fields)
            usage = suggestion.usage
            engine = {"name": options.provider, "version": self.version, "model": usage["model"]}
        elif prompt:
            definitions = refine_with_document(fields_from_prompt(prompt), document)
        else:
            definitions = fields_from_document(document)
        return ExtractionResult(
            fields={"fields": definitions},
            field_details={},
            engine=engine,
            pages=len(document.pages),
            usage=usage,
            warnings=document.warnings,
        )
