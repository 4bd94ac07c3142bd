"""Field definitions from words: a request such as "extract invoice number, date, total and
line items with description and amount", and the naming and typing rules shared with
`ai_document` (labels printed in a sample document).

Reading a request: leading verbs ("extract", "get", "I need") are dropped; the rest is a list
split at commas, semicolons, "and", "or", "&" and new lines. "X with a, b and c",
"X including …", "X containing …" and "X (a, b, c)" make X an object with those properties
(to the end of the sentence); an object with a plural name ("line items") or any field
introduced by "list of", "all" or "each" is an array.

Typing a name (`type_for_name`): `is_…`/`has_…` → boolean; a last word such as number, id,
code or name → text (identifiers); a date word (date, due, deadline, dob) → date; an amount
word (total, amount, price, qty, tax, …) → number; anything else text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quarry.core.fields import FieldType
from quarry.extraction_schemas.schemas import MAX_FIELDS_PER_LEVEL

Definition = dict[str, Any]


def wordset(words: str) -> frozenset[str]:
    """A vocabulary written as one space-separated string."""
    return frozenset(words.split())


MAX_NAME_LENGTH = 60
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "ł": "l"})
_LEAD = re.compile(
    r"^(?:please\s+|can you\s+|could you\s+|kindly\s+)?"
    r"(?:extract|get|find|pull(?:\s+out)?|capture|read|collect|give me|return|list|grab|"
    r"i\s+(?:want|need|would like)(?:\s+to\s+(?:extract|get|have))?|we\s+need)\b[\s:]*",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:also|then|the|a|an|its|their|all the|any|following(?: fields)?:?|fields?:?)\s+",
    re.IGNORECASE,
)
_NOTHING = re.compile(  # words that name no field: "please extract the following:"
    r"(?:please|following|following_fields|fields?|data|information|info|details|everything|"
    r"all|it|them|this|these)"
)
_LIST_WORDS = re.compile(r"^(?:a\s+)?(?:list\s+of|all|each|every)\s+", re.IGNORECASE)
_WITH = re.compile(r"\s+(?:with|including|containing|having|consisting of|made of)\s+", re.I)
_PARENS = re.compile(r"([^,;()\n]+?)\s*\(([^()]*)\)")
_SEPARATORS = re.compile(r"\s*(?:,|;|\n|&|\+|\band\b|\bor\b|\bas well as\b|\bplus\b)\s*", re.I)
_SENTENCE_END = re.compile(r"[.;\n](?:\s|$)")
_BOOLEAN_PREFIXES = frozenset({"is", "has", "have", "was", "were", "can", "should", "does"})
_ID_WORDS = wordset(
    "number no nr num id ids code ref reference name names iban bic swift sku email "
    "mail phone tel telefon telephone mobile fax address street city zip postcode "
    "postal country currency type status title url website vat_id"
)
_DATE_WORDS = wordset(
    "date dates due dob birthday birthdate deadline expiry expiration expires issued datum fecha"
)
_NUMBER_WORDS = wordset(
    "total totals amount amounts price prices cost costs qty quantity quantities "
    "subtotal tax taxes vat gst sum balance fee fees discount discounts rate percent "
    "percentage count weight height width length age score salary income revenue tip "
    "charge charges deposit net gross shipping freight tariff duration hours minutes "
    "units"
)
_PLURAL_EXCEPTIONS = frozenset({"address", "status", "tax", "gross", "business", "bus", "terms"})


def fields_from_prompt(prompt: str) -> list[Definition]:
    """The fields a request names, typed by their names; [] when it names none."""
    definitions: list[Definition] = []
    for sentence in _sentences(_strip_lead(prompt)):
        definitions += _sentence_fields(sentence)
    return unique_names(definitions)


def _strip_lead(prompt: str) -> str:
    text = " ".join(prompt.replace("\r", "\n").split(" "))
    previous = None
    while previous != text:
        previous, text = text, _LEAD.sub("", text.strip()).strip()
    return text


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _sentence_fields(sentence: str) -> list[Definition]:
    groups: dict[str, str] = {}

    def hide(match: re.Match[str]) -> str:  # "X (a, b)" → one list item standing for X
        key = f"\x00{len(groups)}\x00"
        groups[key] = match.group(2)
        return f"{match.group(1)}{key}"

    sentence = _PARENS.sub(hide, sentence)
    head, tail = _with_split(sentence)
    items = _split(head)
    definitions = []
    for position, item in enumerate(items):
        properties_text = tail if position == len(items) - 1 and tail else None
        name, key = item, None
        for marker in groups:
            if marker in item:
                name, key = item.replace(marker, ""), marker
        if key is not None:
            properties_text = groups[key]
        definition = _definition(name, properties_text)
        if definition is not None:
            definitions.append(definition)
    return definitions


def _with_split(sentence: str) -> tuple[str, str]:
    """`a, b and c with x and y` → (`a, b and c`, `x and y`); the tail belongs to `c`."""
    parts = _WITH.split(sentence, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (sentence, "")


def _split(text: str) -> list[str]:
    return [item.strip() for item in _SEPARATORS.split(text) if item and item.strip()]


def _definition(phrase: str, properties_text: str | None) -> Definition | None:
    listed = bool(_LIST_WORDS.match(phrase.strip()))
    words = _LIST_WORDS.sub("", phrase.strip())
    words = _FILLER.sub("", words).strip(" .:-'\"")
    name = snake_case(words)
    if not name or _NOTHING.fullmatch(name):
        return None
    properties = unique_names(
        d for d in (_definition(p, None) for p in _split(properties_text or "")) if d is not None
    )
    if properties:
        return definition(
            name, FieldType.OBJECT, words, is_array=listed or _plural(name), properties=properties
        )
    kind, _ = type_for_name(name)
    return definition(name, kind, words, is_array=listed)


def definition(
    name: str,
    kind: FieldType,
    description: str | None,
    *,
    is_array: bool = False,
    properties: Sequence[Definition] = (),
) -> Definition:
    """A field definition in wire form (only the keys that matter; the rest default)."""
    text = (description or "").strip()
    return {
        "name": name,
        "type": kind.value,
        "description": (text[:1].upper() + text[1:])[:2000] if text else None,
        "isArray": is_array,
        "properties": list(properties) if kind is FieldType.OBJECT else None,
    }


def type_for_name(name: str) -> tuple[FieldType, bool]:
    """The type a field's name suggests, and whether the name really said so (False: the
    text default)."""
    kind = _named_type(name.split("_"))
    return (kind, True) if kind is not None else (FieldType.TEXT, False)


def _named_type(words: list[str]) -> FieldType | None:
    last = words[-1]
    rules = (
        (len(words) > 1 and words[0] in _BOOLEAN_PREFIXES, FieldType.BOOLEAN),
        (len(words) > 1 and words[:2] in (["number", "of"], ["count", "of"]), FieldType.NUMBER),
        (last in _ID_WORDS or last.endswith(("nummer", "number", "nr")), FieldType.TEXT),
        ("date" in words or (last in _DATE_WORDS and last != "due"), FieldType.DATE),
        (any(word in _NUMBER_WORDS for word in words), FieldType.NUMBER),
        ("due" in words, FieldType.DATE),  # "due", but "amount due" is an amount
    )
    return next((kind for matches, kind in rules if matches), None)


def _plural(name: str) -> bool:
    last = name.rsplit("_", maxsplit=1)[-1]
    return (
        last.endswith("s")
        and not last.endswith(("ss", "us", "is"))
        and (last not in _PLURAL_EXCEPTIONS)
    )


def snake_case(text: str) -> str:
    """`Invoice No.` → `invoice_no`; accents dropped; a leading digit gets `_`; ≤ 60 chars."""
    folded = text.translate(_LETTERS)
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    ascii_text = ascii_text.replace("#", " number ").replace("%", " percent ")
    name = re.sub(r"[^a-z0-9]+", "_", ascii_text.casefold()).strip("_")
    name = name[:MAX_NAME_LENGTH].rstrip("_")
    return f"_{name}" if name[:1].isdigit() else name


def unique_names(definitions: Iterable[Definition]) -> list[Definition]:
    """The first definition of each name, at most MAX_FIELDS_PER_LEVEL of them."""
    seen: dict[str, Definition] = {}
    for item in definitions:
        seen.setdefault(item["name"], item)
    return list(seen.values())[:MAX_FIELDS_PER_LEVEL]


def clean_definitions(raw: Any, *, depth: int = 1) -> list[Definition]:
    """Definitions a model suggested, made valid: snake_case names, known types, objects
    only at the top level (their properties are scalars), duplicates dropped."""
    items = raw if isinstance(raw, list) else []
    cleaned = [c for c in (_clean(item, depth) for item in items) if c is not None]
    return unique_names(cleaned)


def _clean(item: Any, depth: int) -> Definition | None:
    if not isinstance(item, Mapping):
        return None
    name = snake_case(str(item.get("name") or ""))
    if not name:
        return None
    try:
        kind = FieldType(str(item.get("type") or "text").lower())
    except ValueError:
        kind = FieldType.TEXT
    properties = clean_definitions(item.get("properties"), depth=depth + 1) if depth == 1 else []
    if kind is FieldType.OBJECT and not properties:
        kind = FieldType.TEXT
    description = item.get("description")
    return definition(
        name,
        kind,
        description if isinstance(description, str) else None,
        is_array=item.get("isArray") is True,
        properties=properties,
    )
