"""Table headings in several languages (English, German, Dutch, French, Spanish, Italian): the
one vocabulary both table finders read, the parser's (`parsing/tables.py`) and the offline
engine's (`engines/offline/table_layout.py`, through `engines/offline/columns.py`).

`COLUMN_HEADINGS` maps each kind of column to its printed headings (folded: lower case, no
accents, punctuation as spaces). From it: `HEADINGS`, the words that start a table when a line
is mostly made of them; `NUMERIC_HEADINGS`, the words naming columns whose cells are numbers.
`TOTAL_WORD` marks the totals line that ends a table.
"""

from __future__ import annotations

import re
import unicodedata

COLUMN_HEADINGS: dict[str, tuple[str, ...]] = {
    "description": (
        "description", "desc", "item", "items", "item description", "product", "products",
        "product title", "product name", "article", "articles", "artikel", "omschrijving",
        "designation", "libelle", "beschreibung", "bezeichnung", "particulars", "details",
        "service", "services", "descripcion", "descrizione", "produit", "produkt", "concepto",
        "leistung", "name",
    ),
    "quantity": (
        "qty", "quantity", "aantal", "menge", "qte", "quantite", "nombre", "units", "hrs",
        "hours", "pcs", "anzahl", "stk", "cantidad", "quantita", "hoeveelheid", "iss", "q ty",
    ),
    "unit_price": (
        "unit price", "price", "rate", "u p", "u price", "unit cost", "prijs", "prix",
        "prix unitaire", "p u", "p u ht", "einzelpreis", "vk preis", "prijs per stuk",
        "stuksprijs", "stukprijs", "eenheidsprijs", "precio", "prezzo", "each", "s price",
        "unit", "cost", "preis", "nettopreis",
    ),
    "amount": (
        "amount", "total", "line total", "montant", "montant ht", "bedrag", "betrag",
        "zeilenbetrag", "gesamt", "subtotal", "amt", "net amount", "importe", "sale amt",
        "total price", "prijs incl btw", "amount rm", "amount usd", "amount eur", "gesamtpreis",
        "totaal", "totale", "price incl vat", "price incl tax", "price incl gst", "incl vat",
        "incl btw", "amount incl vat", "net", "ht", "nettobetrag",
    ),
    "code": (
        "code", "item code", "sku", "art no", "art nr", "artikelnummer", "article no", "ref",
        "reference", "product code", "item no", "part no", "ean", "barcode", "artikelnr",
    ),
    "tax": ("tax", "vat", "btw", "tva", "mwst", "gst", "iva", "tax rate", "taxes", "steuersatz"),
    "discount": ("disc", "discount", "rabatt", "korting", "remise", "disc %"),
    "position": ("nr", "no", "pos", "position"),  # a row number: a heading, not a property
    "period": ("date", "period"),
}  # fmt: skip
_NUMERIC_KINDS = ("quantity", "unit_price", "amount", "tax", "discount")
_NOT_A_HEADING_WORD = frozenset({"u", "p", "s", "q", "per", "incl", "line"})


def fold_heading(text: str) -> str:
    """Lower case, accents dropped, punctuation as spaces: "Qté." → "qte", "P.U. HT" → "p u ht"."""
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+|%", plain))


def _words(kinds: tuple[str, ...]) -> frozenset[str]:
    return frozenset(
        word
        for kind in kinds
        for phrase in COLUMN_HEADINGS[kind]
        for word in phrase.split()
        if word not in _NOT_A_HEADING_WORD
    )


HEADINGS = _words(tuple(COLUMN_HEADINGS))
NUMERIC_HEADINGS = _words(_NUMERIC_KINDS) | {"%"}
TOTAL_WORD = re.compile(
    r"\b(sub\s*total|total|totaal|summe|gesamt|endbetrag|montant total|balance|amount due|"
    r"zwischensumme|subtotaal|totale|tax|vat|tva|btw|mwst|iva|gst)\b",
    re.IGNORECASE,
)
