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


def _words(names: str, headings: str) -> ColumnWords:
    return ColumnWords(tuple(names.split("|")), tuple(headings.split("|")))


COLUMNS: dict[Column, ColumnWords] = {
    Column.DESCRIPTION: _words(
        "description|name|item|item name|product|product name|title|label|service|article|"
        "designation|details",
        "description|desc|item|items|item description|product|product title|product name|"
        "article|artikel|omschrijving|designation|libelle|beschreibung|bezeichnung|"
        "particulars|details|service|services|descripcion|descrizione|produit|produkt",
    ),
    Column.QUANTITY: _words(
        "quantity|qty|count|units|number of units|amount of units",
        "qty|quantity|aantal|menge|qte|quantite|nombre|units|hrs|hours|pcs|anzahl|stk|"
        "cantidad|quantita|hoeveelheid|iss|q ty",
    ),
    Column.UNIT_PRICE: _words(
        "unit price|price|rate|unit cost|price unit|unit amount|price each|each",
        "unit price|price|rate|u p|u price|unit cost|prijs|prix|prix unitaire|p u|p u ht|"
        "einzelpreis|vk preis|prijs per stuk|stuksprijs|precio|prezzo|each|s price|unit",
    ),
    Column.AMOUNT: _words(
        "amount|line total|total|price subtotal|subtotal|net amount|line amount|total price|"
        "amount total|line amount total",
        "amount|total|line total|montant|montant ht|bedrag|betrag|zeilenbetrag|gesamt|"
        "subtotal|amt|net amount|importe|sale amt|total price|prijs incl btw|amount rm|"
        "amount usd|amount eur|gesamtpreis|totaal|totale|price incl vat|price incl tax|"
        "price incl gst|incl vat|incl btw|amount incl vat",
    ),
    Column.CODE: _words(
        "code|item code|sku|product code|article number|article no|part number|reference|ref|"
        "ean|barcode|item number|item no",
        "code|item code|sku|art no|art nr|artikelnummer|article no|ref|reference|"
        "product code|item no|part no|ean|barcode|artikelnr",
    ),
    Column.TAX: _words("tax|vat|tax rate|vat rate", "tax|vat|btw|tva|mwst|gst|tax rate|taxes"),
    Column.DISCOUNT: _words("discount", "disc|discount|rabatt|korting|remise|disc %"),
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
