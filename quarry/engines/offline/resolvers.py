"""One scalar field → (value, detail), by the field's role.

total, subtotal, tax   chosen together (`totals.reconcile`); a missing part is derived
                       from the other two only when the difference is printed
vendor                 a labelled name ("Sold by", "Account holder") or the layout's name
                       at the top of page 1 (`parties`)
vendor_address         a labelled address, or the address block under the vendor's name
currency               a labelled currency, else the document's symbols and codes, else
                       the country the document comes from (not grounded: inferred)
date                   labelled, else the first date not announced as another date
anything else          the best labelled candidate
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from typing import Any

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.base import NullReason
from quarry.engines.offline.address import classify
from quarry.engines.offline.candidates import Candidate, Target
from quarry.engines.offline.choices_scan import resolve_choices
from quarry.engines.offline.company import name_text
from quarry.engines.offline.context import DocumentContext
from quarry.engines.offline.details import Detail, grounded, inferred, null
from quarry.engines.offline.labels import LabelHit
from quarry.engines.offline.locale_hints import locale_votes
from quarry.engines.offline.parties import address_after
from quarry.engines.offline.readers import (
    Reading,
    read_currency,
    read_money,
    read_unlabelled_date,
)
from quarry.engines.offline.sections import SectionValue
from quarry.engines.offline.totals import difference
from quarry.engines.offline.values.currency import vote_lines
from quarry.engines.offline.vocabulary import tokens
from quarry.parsing.model import Word

Resolution = tuple[Any, Detail]
_DATE_FALLBACK_CONFIDENCE = 0.4
_DERIVED_CONFIDENCE = 0.5
_CURRENCY_CONFIDENCE = 0.6
_LOCALE_CONFIDENCE = 0.45
_LABEL_OVER_LAYOUT = 0.75
_ADDRESS_LABEL_MIN = 0.85
_SECTION_CONFIDENCE = 0.9
_STRAY_SUPPORT = 2
_ROUNDING_LINES = 3
_ROUNDING_STEP = 0.05
_ROUNDED_FACTOR = 0.9
_SUBTOTAL_AS_TOTAL_CONFIDENCE = 0.45
_CONTACT = re.compile(r"@|www\.|https?:", re.IGNORECASE)  # an e-mail or web address
_TITLE_DATE_CONFIDENCE = 0.85
_DATING_WORDS = frozenset(
    {("vom",), ("du",), ("dated",), ("of",), ("from",), ("van",), ("le",), ("am",), ("dd",)}
)
_OTHER_DATES = ("due_date", "order_date", "delivery_date")


def resolve(ctx: DocumentContext, target: Target) -> Resolution:
    found = ctx.candidates_for(target)
    role = target.role.key if target.role is not None else None
    if role == "vat_id":  # "BTW 21 %" is a rate, not a VAT number
        found = [c for c in found if len(re.sub(r"\W", "", str(c.reading.value))) >= _MIN_VAT_CHARS]
        buyer = ctx.sections.buyer_lines
        found = [c for c in found if c.label is None or c.label.line.number not in buyer]
    special = _SPECIAL.get(role or "")
    if special is not None:
        found = special(ctx, target, found)
    if target.spec.possible_values:
        return resolve_choices(target.spec, found, ctx.index)
    if found:
        best = found[0]
        value = _canonical(role, best.reading.value)
        return value, grounded(best.reading.words, best.page, best.confidence)
    if role == "currency":
        return _locale_currency(ctx)
    return None, _missing(ctx, target)


_MIN_VAT_CHARS = 6
_ILLEGIBLE_CONFIDENCE = 0.4  # OCR words after a label read this poorly: there, but unreadable
_VAT_ID = re.compile(r"^[A-Z]{2} ?[0-9A-Z][0-9A-Z. ]{6,16}$")


def _canonical(role: str | None, value: Any) -> Any:
    """VAT numbers without the dots and spaces some documents print ("NL8152.54.295.B01")."""
    if role == "vat_id" and isinstance(value, str) and _VAT_ID.match(value):
        return re.sub(r"[. ]", "", value)
    return value


def _missing(ctx: DocumentContext, target: Target) -> Detail:
    hits = ctx.by_key.get(target.path, [])
    if not hits:
        return null(NullReason.NOT_IN_DOCUMENT)
    hit = hits[0]  # a label was seen, but nothing readable next to it
    segments = hit.line.segments
    after = [
        *segments[hit.segment].words[hit.last_word + 1 :],
        *(w for segment in segments[hit.segment + 1 :] for w in segment.words),
    ]
    if after and statistics.fmean(w.confidence for w in after) < _ILLEGIBLE_CONFIDENCE:
        return null(NullReason.ILLEGIBLE, words=hit.words, page=hit.line.page)
    return null(NullReason.NOT_EXTRACTED, words=hit.words, page=hit.line.page)


def _amount(ctx: DocumentContext, target: Target, found: list[Candidate]) -> list[Candidate]:
    assert target.role is not None
    amounts = ctx.amounts
    chosen = getattr(amounts, target.role.key)
    if chosen is not None and target.role.key == "total":
        return [_after_rounding(ctx, chosen)]
    if chosen is not None:
        return [chosen]
    if target.role.key == "total":
        return _total_without_label(ctx)
    other = {"subtotal": amounts.tax, "tax": amounts.subtotal}.get(target.role.key)
    value = difference(amounts.total, other)
    printed = ctx.find_amount(value) if value is not None else None
    if printed is None:
        return [c for c in found if target.role.key != "total" or float(c.reading.value) > 0]
    word, line = printed
    reading = Reading(value, (word,))
    return [Candidate(reading, line.page, _DERIVED_CONFIDENCE, _DERIVED_CONFIDENCE, line.number)]


def _after_rounding(ctx: DocumentContext, total: Candidate) -> Candidate:
    """The total rounded to 5 cents when that is printed just under it (cash rounding:
    "TOTAL 60.31 / ROUNDING ADJ -0.01 / 60.30"): what the customer paid."""
    value = float(total.reading.value)
    cents = round(value * 100)
    if cents % 5 == 0 or not total.reading.words:
        return total
    number = ctx.line_number_of(total.reading.words[-1], total.order)
    for other in ctx.index.lines[number + 1 : number + 1 + _ROUNDING_LINES]:
        for word in other.line.words:
            printed = read_money([(word,)], ctx.hints)
            if printed is None or not 0 < abs(float(printed.value) - value) < _ROUNDING_STEP:
                continue
            if round(float(printed.value) * 100) % 5 == 0:
                conf = total.confidence * _ROUNDED_FACTOR
                return Candidate(printed, other.page, conf, conf, other.number)
    return total


def _total_without_label(ctx: DocumentContext) -> list[Candidate]:
    """No total label was read (OCR garbled it): cash tendered − change when that amount is
    printed, else the subtotal when nothing adds tax to it. Low confidence either way."""
    paid = ctx.role_candidates("tendered")
    change = ctx.role_candidates("change")
    if paid and change:
        value = round(float(paid[0].reading.value) - float(change[0].reading.value), 2)
        printed = ctx.find_amount(value) if value > 0 else None
        if printed is not None:
            word, line = printed
            conf = _DERIVED_CONFIDENCE
            return [Candidate(Reading(value, (word,)), line.page, conf, conf, line.number)]
    subtotal, tax = ctx.amounts.subtotal, ctx.amounts.tax
    if subtotal is None or float(subtotal.reading.value) <= 0:
        return []
    if tax is not None and float(tax.reading.value) > 0:
        added = round(float(subtotal.reading.value) + float(tax.reading.value), 2)
        if ctx.find_amount(added) is not None:
            return []
    conf = _SUBTOTAL_AS_TOTAL_CONFIDENCE
    return [Candidate(subtotal.reading, subtotal.page, conf, conf, subtotal.order)]


def _vendor(ctx: DocumentContext, target: Target, found: list[Candidate]) -> list[Candidate]:
    buyer = ctx.customer_block  # "Client  Nom commercial: X" names the buyer
    found = [c for c in found if c.label is None or _label_slot(c.label) not in buyer]
    ranked = _vendors(ctx, found)
    ctx.memo["vendor"] = ranked
    return ranked


def _label_slot(hit: LabelHit) -> tuple[int, int]:
    return hit.line.number, hit.segment


def _vendors(ctx: DocumentContext, found: list[Candidate]) -> list[Candidate]:
    seller = ctx.sections.seller
    if seller is not None and seller.name is not None:
        return [_section_candidate(seller.name), *found]
    if found and found[0].confidence >= _LABEL_OVER_LAYOUT:
        return found
    names = ctx.layout_names()
    if not names:
        return found
    name = names[0]
    reading = Reading(name_text(name.words), name.words)
    layout = Candidate(reading, name.line.page, name.score, name.score, name.line.number)
    return sorted([*found, layout], key=lambda c: -c.confidence)


def _section_candidate(value: SectionValue) -> Candidate:
    reading = Reading(value.text, value.words)
    return Candidate(reading, value.page, _SECTION_CONFIDENCE, _SECTION_CONFIDENCE, value.line)


def _address(ctx: DocumentContext, target: Target, found: list[Candidate]) -> list[Candidate]:
    found = [c for c in found if not _CONTACT.search(str(c.reading.value))]
    seller = ctx.sections.seller
    if seller is not None and seller.address is not None:
        return [_section_candidate(seller.address)]
    if found and found[0].confidence >= _ADDRESS_LABEL_MIN:
        return found
    if "vendor" not in ctx.memo:
        vendor_target = Target("vendor", FieldSpec(name="vendor", type=FieldType.TEXT))
        _vendor(ctx, vendor_target, ctx.role_candidates("vendor", FieldType.TEXT))
    chosen = [(c.reading.words, ctx.line_of(c.reading.words[0])) for c in ctx.memo["vendor"][:1]]
    names = ctx.layout_names()
    for words, line in [*chosen, *((n.words, n.line) for n in names[:3])]:
        block = address_after(ctx.index, line, words, ctx.customer_block)
        if block is not None:
            reading = Reading(block.text, block.words)
            return [Candidate(reading, block.page, block.score, block.score, line.number)]
    return found


def _date(ctx: DocumentContext, target: Target, found: list[Candidate]) -> list[Candidate]:
    if found:
        return found
    titled = _title_date(ctx)
    if titled:
        return titled
    other = {h.line.number for key in _OTHER_DATES for h in ctx.hits_of_role(key)}
    for line in ctx.index.lines:
        if line.number in other:
            continue
        reading = read_unlabelled_date([s.words for s in line.segments], ctx.hints)
        if reading is not None:
            conf = _DATE_FALLBACK_CONFIDENCE * reading.quality
            return [Candidate(reading, line.page, conf, conf, line.number)]
    return []


def _title_date(ctx: DocumentContext) -> list[Candidate]:
    """The date printed after the invoice's number or title on one line: "Rechnung Nr. 42
    vom 30.05.2026", "Facture n° 42 du 19/07/2022", "Invoice 42 dated 2 May 2024"."""
    for hit in ctx.hits_of_role("invoice_number"):
        segments = hit.line.segments
        after = [
            *segments[hit.segment].words[hit.last_word + 1 :],
            *(w for segment in segments[hit.segment + 1 :] for w in segment.words),
        ]
        reading = read_unlabelled_date([after], ctx.hints)
        if reading is None or not reading.words:
            continue
        first = next((i for i, w in enumerate(after) if w is reading.words[0]), 0)
        dated = first > 0 and tokens(after[first - 1].text) in _DATING_WORDS
        conf = (_TITLE_DATE_CONFIDENCE if dated else _DATE_FALLBACK_CONFIDENCE) * reading.quality
        return [Candidate(reading, hit.line.page, conf, conf, hit.line.number)]
    return []


def _currency(ctx: DocumentContext, target: Target, found: list[Candidate]) -> list[Candidate]:
    """A labelled currency, else the best-supported symbol or code, unless the document's
    country says otherwise more strongly (then `_locale_currency` decides)."""
    if found:
        return found
    lines = [tuple(w for s in line.segments for w in s.words) for line in ctx.index.lines]
    voted = vote_lines([[] if _address_line(words) else [w.text for w in words] for words in lines])
    if voted is None:
        return _named_currency(ctx, lines)
    code, support, line_number, position = voted
    locale = locale_votes(ctx.index.texts()).most_common(1)
    if locale and locale[0][0] != code and _locale_wins(locale[0][1], support):
        return []
    line = ctx.index.lines[line_number]
    reading = Reading(code, (lines[line_number][position],))
    return [Candidate(reading, line.page, _CURRENCY_CONFIDENCE, _CURRENCY_CONFIDENCE, line.number)]


def _locale_wins(locale: int, support: int) -> bool:
    """The country's currency beats symbols when it is named far more often, or when the
    symbols are one or two stray marks (OCR reads "$", "¥" or "SAR" out of noise)."""
    return locale > 2 * support or (support <= _STRAY_SUPPORT and locale > support)


def _address_line(words: tuple[Word, ...]) -> bool:
    """A street or postcode line ("Jalan 1/2, Sek 13, 40100 Shah Alam": Seksyen, not the
    Swedish krona) names no currency."""
    kind = classify(" ".join(w.text for w in words))
    return kind.street or kind.postcode


def _named_currency(ctx: DocumentContext, lines: list[tuple[Word, ...]]) -> list[Candidate]:
    """ "All prices are in US Dollars"."""
    for line, words in zip(ctx.index.lines, lines, strict=True):
        if _address_line(words):
            continue
        reading = read_currency([words], ctx.hints)
        if reading is not None:
            conf = _CURRENCY_CONFIDENCE
            return [Candidate(reading, line.page, conf, conf, line.number)]
    return []


def _locale_currency(ctx: DocumentContext) -> Resolution:
    votes = locale_votes(ctx.index.texts())
    if not votes:
        return None, null(NullReason.NOT_IN_DOCUMENT)
    code, count = votes.most_common(1)[0]
    confidence = min(_LOCALE_CONFIDENCE + 0.05 * (count - 1), 0.6)
    return code, inferred((), None, confidence)


_SPECIAL: dict[str, Callable[[DocumentContext, Target, list[Candidate]], list[Candidate]]] = {
    "total": _amount,
    "subtotal": _amount,
    "tax": _amount,
    "vendor": _vendor,
    "vendor_address": _address,
    "date": _date,
    "currency": _currency,
}
