"""Table columns: what a column heading means, and which schema property takes it.

Headings are matched in several languages ("Qty", "Aantal", "Menge", "Quantité"); a property
takes a column by its name ("unit_price" → unit price, "sku" → code) or, failing that, by a
heading equal to its own name or description words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz

from quarry.core.fields import FieldSpec
from quarry.engines.offline.field_roles import description_phrases, field_words
from quarry.engines.offline.vocabulary import tokens
from quarry.parsing.table_vocabulary import COLUMN_HEADINGS

HEADING_THRESHOLD = 86.0


class Column(StrEnum):
    DESCRIPTION = "description"
    QUANTITY = "quantity"
    UNIT_PRICE = "unit_price"
    AMOUNT = "amount"
    CODE = "code"
    TAX = "tax"
    DISCOUNT = "discount"
    OTHER = "other"  # a property's own heading

    @property
    def numeric(self) -> bool:
        return self in (Column.QUANTITY, Column.UNIT_PRICE, Column.AMOUNT, Column.TAX)


# A heading cell naming several things ("BTW Prijs incl. BTW") takes the first of these.
PRIORITY = (
    Column.AMOUNT,
    Column.UNIT_PRICE,
    Column.QUANTITY,
    Column.DESCRIPTION,
    Column.CODE,
    Column.TAX,
    Column.DISCOUNT,
)
# Headings that name the description itself; beside one of them, "Item" or "Artikel" is a code.
DESCRIPTIVE = frozenset(
    {"description", "desc", "item description", "omschrijving", "designation", "libelle",
     "beschreibung", "bezeichnung", "descripcion", "descrizione", "particulars", "details"}
)  # fmt: skip


@dataclass(frozen=True)
class ColumnWords:
    names: tuple[str, ...]  # property names that take the column
    headings: tuple[str, ...]  # printed headings


_NAMES = {
    Column.DESCRIPTION: "description|name|item|item name|product|product name|title|label|"
    "service|article|designation|details",
    Column.QUANTITY: "quantity|qty|count|units|number of units|amount of units",
    Column.UNIT_PRICE: "unit price|price|rate|unit cost|price unit|unit amount|price each|each",
    Column.AMOUNT: "amount|line total|total|price subtotal|subtotal|net amount|line amount|"
    "total price|amount total|line amount total",
    Column.CODE: "code|item code|sku|product code|article number|article no|part number|"
    "reference|ref|ean|barcode|item number|item no",
    Column.TAX: "tax|vat|tax rate|vat rate",
    Column.DISCOUNT: "discount",
}
# Property names are the engine's; the printed headings are the parser's vocabulary, shared.
COLUMNS: dict[Column, ColumnWords] = {
    column: ColumnWords(tuple(names.split("|")), COLUMN_HEADINGS[column.value])
    for column, names in _NAMES.items()
}
_FILLER = re.compile(r"\b(the|of|per|in)\b")


def heading_phrases() -> list[tuple[str, Column]]:
    """(normalised heading, column) for every known heading."""
    return [(" ".join(tokens(h)), column) for column, w in COLUMNS.items() for h in w.headings]


@lru_cache(maxsize=1024)
def column_of(name: str, description: str) -> Column | None:
    """The column a property takes, by its name (or description), or None."""
    words = _FILLER.sub("", field_words(name)).strip()
    words = " ".join(words.split())
    best: tuple[Column | None, float] = (None, 0.0)
    for column, known in COLUMNS.items():
        if words in known.names:
            return column
        for phrase in known.names:
            score = fuzz.ratio(words, phrase)
            if score > best[1]:
                best = (column, score)
    if best[1] >= HEADING_THRESHOLD:
        return best[0]
    for phrase in description_phrases(description):
        for column, known in COLUMNS.items():
            if phrase in known.names:
                return column
    return None


def property_columns(properties: tuple[FieldSpec, ...]) -> dict[str, Column]:
    """Property name → the column it takes (properties without one are left out)."""
    taken: dict[str, Column] = {}
    for prop in properties:
        column = column_of(prop.name, prop.description or "")
        if column is not None and column not in taken.values():
            taken[prop.name] = column
    return taken
