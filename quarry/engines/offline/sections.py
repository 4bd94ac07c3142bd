"""Party sections: a heading naming a party, then labelled lines about it.

Many invoices, and every rendering of a structured e-invoice (EN 16931 / ZUGFeRD / Factur-X /
XRechnung viewers), print each party as a block:

    Verkäufer                          Käufer/Leistungsempfänger
    Name:       Musterbetrieb AG       Name:       Kunden AG
    Anschrift:  Hauptstraße 1          Anschrift:  Kundenstraße 15
                DE 80333 München                   DE 69876 Frankfurt
    USt-IdNr.:  DE123456789

The heading says whose block it is, in the EN 16931 wording of the seller (BG-4) and the buyer
(BG-7) in English, German, French and Dutch. Inside the seller's block, a "Name" label gives
the seller's name (BT-27) and an "Address" label its postal address (BG-5): its value and the
lines under the value, up to the next labelled line. A country code printed before the
postcode ("DE 80333 München") is left out, as the address field carries no country.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quarry.engines.offline.layout_index import IndexedLine, LayoutIndex, Segment
from quarry.parsing.model import Word

SELLER_HEADINGS = frozenset(
    {
        "seller", "vendor", "supplier", "issuer", "verkaufer", "lieferant", "rechnungssteller",
        "leistungserbringer", "vendeur", "fournisseur", "emetteur", "verkoper", "leverancier",
    }
)  # fmt: skip
BUYER_HEADINGS = frozenset(
    {
        "buyer", "customer", "client", "purchaser", "kaufer", "rechnungsempfanger",
        "leistungsempfanger", "kunde", "warenempfanger", "acheteur", "destinataire", "koper",
        "afnemer", "klant",
    }
)  # fmt: skip
NAME_LABELS = frozenset(
    {
        ("name",),
        ("company",),
        ("company", "name"),
        ("legal", "name"),
        ("firma",),
        ("firmenname",),
        ("nom",),
        ("raison", "sociale"),
        ("denomination",),
        ("naam",),
        ("bedrijfsnaam",),
    }
)
ADDRESS_LABELS = frozenset(
    {
        ("address",),
        ("postal", "address"),
        ("anschrift",),
        ("adresse",),
        ("postanschrift",),
        ("adres",),
    }
)
_MAX_SECTION_LINES = 12
_MAX_HEADING_TOKENS = 3
_MAX_ADDRESS_LINES = 4
_GAP_HEIGHTS = 3.0
_COUNTRY_BEFORE_POSTCODE = re.compile(r"^[A-Z]{2}[- ](?=\d)")


@dataclass(frozen=True)
class SectionValue:
    text: str
    words: tuple[Word, ...]
    page: int
    line: int


@dataclass(frozen=True)
class SellerSection:
    name: SectionValue | None
    address: SectionValue | None
    lines: frozenset[int]


@dataclass(frozen=True)
class Sections:
    seller: SellerSection | None
    buyer_lines: frozenset[int]


def find_sections(index: LayoutIndex) -> Sections:
    seller: SellerSection | None = None
    buyer: set[int] = set()
    for line in index.lines:
        side = _heading_side(line)
        if side is None:
            continue
        body = list(_body(index, line))
        if side == "buyer":
            buyer.update(other.number for other in body)
        elif seller is None:
            lines = frozenset(other.number for other in body)
            seller = SellerSection(_name(body), _address(body), lines)
    return Sections(seller, frozenset(buyer))


def _heading_side(line: IndexedLine) -> str | None:
    if len(line.segments) != 1:
        return None
    words = [token for token, _ in line.segments[0].tokens]
    if not words or len(words) > _MAX_HEADING_TOKENS:
        return None
    if words[0] in SELLER_HEADINGS:
        return "seller"
    if words[0] in BUYER_HEADINGS or (len(words) > 1 and words[1] in BUYER_HEADINGS):
        return "buyer"
    return None


def _body(index: LayoutIndex, heading: IndexedLine) -> Iterator[IndexedLine]:
    """The lines after a heading, up to the next heading, a wide gap or a new page."""
    height = max(heading.line.bbox[3] - heading.line.bbox[1], 0.005)
    bottom = heading.line.bbox[3]
    for line in index.lines[heading.number + 1 : heading.number + 1 + _MAX_SECTION_LINES]:
        if line.page != heading.page or line.line.bbox[1] - bottom > _GAP_HEIGHTS * height:
            return
        if _heading_side(line) is not None:
            return
        bottom = line.line.bbox[3]
        yield line


def _label(segment: Segment) -> tuple[str, ...]:
    return tuple(token for token, _ in segment.tokens)


def _name(body: Sequence[IndexedLine]) -> SectionValue | None:
    for line in body:
        value = _labelled(line, NAME_LABELS)
        if value:
            return SectionValue(" ".join(w.text for w in value), value, line.page, line.number)
    return None


def _labelled(line: IndexedLine, labels: frozenset[tuple[str, ...]]) -> tuple[Word, ...]:
    """The words after a label of `labels` that starts the line ("Name: X", "Name   X")."""
    first = line.segments[0]
    found = _label(first)
    rest = tuple(w for s in line.segments[1:] for w in s.words)
    for label in labels:
        if found[: len(label)] != label:
            continue
        if len(found) == len(label):
            return rest
        last = first.tokens[len(label) - 1][1]
        following = first.words[last + 1 :]
        if first.words[last].text.endswith(":") or following[0].text.startswith(":"):
            return tuple(w for w in following if w.text != ":") + rest
    return ()


def _address(body: Sequence[IndexedLine]) -> SectionValue | None:
    for position, line in enumerate(body):
        value = _labelled(line, ADDRESS_LABELS)
        if not value:
            continue
        parts = [value]
        x0 = value[0].bbox[0]
        for other in body[position + 1 : position + _MAX_ADDRESS_LINES]:
            first = other.segments[0].words
            if abs(first[0].bbox[0] - x0) > 0.02 or len(other.segments) > 1:
                break
            parts.append(first)
        text = ", ".join(_without_country(" ".join(w.text for w in part)) for part in parts)
        words = tuple(w for part in parts for w in part)
        return SectionValue(text, words, line.page, line.number)
    return None


def _without_country(text: str) -> str:
    return _COUNTRY_BEFORE_POSTCODE.sub("", text)
