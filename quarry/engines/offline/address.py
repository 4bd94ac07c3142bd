"""What kind of line a header line is: part of a postal address, a contact or registration
line that ends an address, a document title, or a greeting.

Signals are general and multilingual: street words (street, road, jalan, rue, straße, straat,
via, ...), unit and floor words, postcodes in the common shapes (`50480`, `D-63571`, `1025 RX`,
`WA 98109`, `SW1A 1AA`), country names, and the labels of phone, e-mail, tax and registration
numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quarry.engines.offline.locale_hints import mentions_country
from quarry.engines.offline.vocabulary import tokens

STREET_WORDS = frozenset(
    {
        "street", "st", "str", "strasse", "road", "rd", "avenue", "ave", "av", "boulevard",
        "blvd", "lane", "ln", "drive", "dr", "way", "place", "pl", "square", "sq", "court",
        "highway", "hwy", "jalan", "jln", "lorong", "lrg", "persiaran", "lebuh", "lebuhraya",
        "taman", "tmn", "kampung", "kg", "bandar", "seksyen", "section", "lot", "unit",
        "floor", "flr", "level", "suite", "block", "blk", "building", "bldg", "tower",
        "plaza", "mall", "centre", "center", "complex", "estate", "industrial", "park",
        "rue", "chemin", "allee", "quai", "impasse", "weg", "gasse", "platz", "ring",
        "damm", "ufer", "straat", "laan", "plein", "gracht", "kade", "dijk", "singel",
        "via", "viale", "piazza", "corso", "calle", "avenida", "rua", "box", "postfach",
        "cedex", "po", "pobox", "marg", "nagar", "sector", "colony", "route", "chaussee",
        "cours", "passage", "bd", "steenweg", "dreef", "strada",
    }
)  # fmt: skip
_STREET_SUFFIX = re.compile(r"(strasse|straße|str\.|straat|weg|laan|gasse|platz|plein)$")
_POSTCODE = re.compile(
    r"(?<![\w.,:/(&-])(?:[A-Z]{1,2}-)?(?:\d{5}-\d{4}|\d{4,6})(?=$|[\s,.;)])"  # 50480, D-63571
    r"|\b\d{4} ?[A-Z]{2}\b"  # 1025 RX
    r"|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"  # SW1A 1AA
)
_STOP_TOKENS = frozenset(
    {
        "tel", "telephone", "phone", "fax", "hp", "mobile", "mob", "whatsapp", "whatsapps",
        "email", "mail", "www", "http", "https", "website", "web", "gst", "vat", "tax",
        "reg", "registration", "roc", "brn", "sst", "tin", "gstin", "ust", "ustid", "btw",
        "kvk", "siret", "siren", "iban", "bic", "swift", "date", "datum", "invoice",
        "receipt", "cashier", "table", "order", "bill", "company", "co", "telefon",
        "telefoon", "tva", "cin", "pan", "abn",
    }
)  # fmt: skip
_REGISTRATION_TOKENS = frozenset(
    {"gst", "vat", "reg", "registration", "roc", "brn", "sst", "tin", "company", "co", "tax"}
)
_NOT_BEFORE_POSTCODE = frozenset(
    {"lot", "no", "unit", "blk", "block", "suite", "jalan", "jln", "km", "batu", "floor", "and"}
)
_TITLE_WORDS = frozenset(
    {
        "invoice", "invoices", "tax", "receipt", "bill", "simplified", "official", "copy",
        "duplicate", "original", "customer", "customers", "cash", "sale", "sales", "retail",
        "payment", "factuur", "rechnung", "facture", "kopie", "statement", "credit", "note",
        "debit", "quotation", "quote", "proforma", "pro", "forma", "adjustment", "re",
        "print", "reprint", "s", "de", "of", "the", "order", "delivery", "and", "or",
    }
)  # fmt: skip
_GREETING_WORDS = frozenset(
    {
        "welcome", "thank", "thanks", "please", "visit", "again", "goods", "sold",
        "refundable", "returnable", "exchangeable", "enjoy", "hello", "greetings",
    }
)  # fmt: skip
_CONTACT = re.compile(r"@|www\.|https?:|\.com\b|\.net\b", re.IGNORECASE)
_PHONE = re.compile(r"^[\d\s()+\-./~]{7,}$")


@dataclass(frozen=True)
class LineKind:
    street: bool  # street, unit or building words
    postcode: bool
    country: bool
    numbered: bool  # starts with a house number or "No."/"Lot"
    stop: bool  # a contact, registration, date or title line: no longer the address
    registration: bool  # a registration-number line (may sit between name and address)
    bracketed: bool  # "(1074617-K)", "(IOI PUCHONG)"

    @property
    def address_score(self) -> int:
        return 2 * self.street + 2 * self.postcode + self.country + self.numbered


def classify(text: str) -> LineKind:
    words = tokens(text)
    head = words[:3]
    stripped = text.strip(" |!*_-~.,:;")
    street = any(w in STREET_WORDS for w in words) or _street_suffix(text)
    registration = bool(set(head[:2]) & _REGISTRATION_TOKENS) and _has_digit(text) and not street
    return LineKind(
        street=street,
        postcode=has_postcode(text),
        country=mentions_country(text),
        numbered=bool(re.match(r"^(no\.?|lot|unit|\d+[a-z]?\b)", stripped, re.IGNORECASE)),
        stop=_is_stop(text, head),
        registration=registration,
        bracketed=stripped.startswith("(") and (stripped.endswith(")") or ")" not in stripped),
    )


def has_postcode(text: str) -> bool:
    """A postcode, next to a place name ("50480 Kuala Lumpur", "Gelnhausen D-63571")."""
    cleaned = re.sub(r"\b(tel|fax|phone|h/?p)\b.*", "", text, flags=re.IGNORECASE)
    if not re.search(r"[A-Za-z]{4}", cleaned):
        return False
    return any(_plausible_postcode(cleaned, m) for m in _POSTCODE.finditer(cleaned))


def _plausible_postcode(text: str, match: re.Match[str]) -> bool:
    found = match.group(0)
    if found.isdigit() and len(found) == 4 and 1900 <= int(found) <= 2099:
        return False  # a year
    before = tokens(text[: match.start()])
    return not before or not (before[-1] in _NOT_BEFORE_POSTCODE or before[-1].isdigit())


def _street_suffix(text: str) -> bool:
    return any(_STREET_SUFFIX.search(w.lower()) for w in text.split() if len(w) > 6)


def _is_stop(text: str, head: tuple[str, ...]) -> bool:
    if _CONTACT.search(text) or _PHONE.match(text.strip(" |!*_")):
        return True
    if re.search(r"\b(tel|fax|h/p|hp|phone|mobile)\b\W*[+\d(]", text, re.IGNORECASE):
        return True
    return bool(head) and head[0] in _STOP_TOKENS


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def is_title(text: str) -> bool:
    """A document title such as "TAX INVOICE" or "Retail Invoices/Bill"."""
    words = tokens(text)
    return bool(words) and all(w in _TITLE_WORDS for w in words)


def is_greeting(text: str) -> bool:
    return any(w in _GREETING_WORDS for w in tokens(text))


def title_words() -> frozenset[str]:
    return _TITLE_WORDS
