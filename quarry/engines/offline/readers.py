"""Reading a typed value off a region's words, by shape; None when the words hold none."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from quarry.engines.offline.company import company_span, name_text, trim_name
from quarry.engines.offline.roles import Shape
from quarry.engines.offline.values.booleans import parse_boolean
from quarry.engines.offline.values.currency import currency_of_name, currency_of_token, vote
from quarry.engines.offline.values.dates import DateOrder, find_dates
from quarry.engines.offline.values.numbers import DecimalStyle, parse_number
from quarry.parsing.layout import joined_text
from quarry.parsing.model import Word, union_bbox

_PUNCTUATION_ONLY = re.compile(r"^[\W_]+$")
_EDGE_PUNCTUATION = ":;,-–—#*|"
_DIGIT_GROUP = re.compile(r"^\d{2,4}$")
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_MISREAD_PREFIX = re.compile(r"^[A-Z]{1,2}(\d{1,6}[.,]\d{2})$")
_AMBIGUOUS_DATE_QUALITY = 0.8
_INTEGER_AMOUNT_QUALITY = 0.78  # "35" may be a quantity or a misread "3.50": check it
_MAX_NAME_WORDS = 8


@dataclass(frozen=True)
class Hints:
    """Document-wide reading habits."""

    date_order: DateOrder = DateOrder.DMY
    date_order_known: bool = False  # read off the document's other dates, not assumed
    decimal_style: DecimalStyle | None = None


@dataclass(frozen=True)
class Reading:
    value: Any
    words: tuple[Word, ...]
    quality: float = 1.0


Reader = Callable[[Sequence[Sequence[Word]], Hints], Reading | None]


def read(shape: Shape, segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    return READERS[shape](segments, hints)


def _flat(segments: Sequence[Sequence[Word]]) -> list[Word]:
    return [word for segment in segments for word in segment]


def read_text(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    for segment in segments:
        words = list(segment)
        while words and _PUNCTUATION_ONLY.match(words[0].text):
            words.pop(0)
        while words and _PUNCTUATION_ONLY.match(words[-1].text):
            words.pop()
        if words:
            text = " ".join(w.text for w in words).strip(_EDGE_PUNCTUATION + " ")
            if any(ch.isalnum() for ch in text):
                return Reading(text, tuple(words))
    return None


def read_name(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    """A name: the company name with its legal form when there is one, else the text up to
    the first break (a colon, a long number)."""
    for segment in segments:
        words = list(segment)
        span = company_span(words)
        words = words[span[0] : span[1]] if span is not None else _until_break(words)
        trimmed = trim_name(words)
        text = name_text(trimmed)
        if trimmed and sum(ch.isalpha() for ch in text) >= 2:
            return Reading(text, trimmed)
    return None


def _until_break(words: Sequence[Word]) -> list[Word]:
    kept: list[Word] = []
    start = 0
    while start < len(words) and not any(ch.isalnum() for ch in words[start].text):
        start += 1
    for word in words[start : start + _MAX_NAME_WORDS]:
        if sum(ch.isdigit() for ch in word.text) >= 3 and kept:
            break
        kept.append(word)
        if word.text.endswith((":", ";", "|")):
            break
    return kept


def read_code(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    words = _flat(segments)
    for index, word in enumerate(words):
        token = word.text.strip(_EDGE_PUNCTUATION.replace("#", ""))
        if not any(ch.isdigit() for ch in token) or "%" in token or _not_a_code(token):
            continue
        used = [word]
        parts = [token]
        if index and _COUNTRY_CODE.match(words[index - 1].text) and _DIGIT_GROUP.match(token):
            used.insert(0, words[index - 1])
            parts.insert(0, words[index - 1].text)
        for following in words[index + 1 :]:
            if not (_DIGIT_GROUP.match(parts[-1]) and _DIGIT_GROUP.match(following.text)):
                break
            used.append(following)
            parts.append(following.text)
        return Reading(" ".join(parts), tuple(used))
    return None


_AMOUNT = re.compile(r"^[-+]?\D{0,3}\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}\D{0,3}$")
_BRACKETED = re.compile(r"^[(\[].*[)\]]$")


def _not_a_code(token: str) -> bool:
    """A date, an amount ("1.500,00", "€12.50") or a bracketed type code ("(380)")."""
    return bool(_AMOUNT.match(token) or _BRACKETED.match(token)) or _is_date_only(token)


def _is_date_only(token: str) -> bool:
    found = find_dates(token)
    return bool(found) and found[0].start == 0 and found[0].end == len(token)


def read_positive_money(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    """The last amount above zero: a total is never "0.00" ("Total 80.91 0.00" in a tax
    summary row names the total before its tax)."""
    return read_money(segments, hints, positive=True)


def read_money(
    segments: Sequence[Sequence[Word]], hints: Hints, *, positive: bool = False
) -> Reading | None:
    numbers = _numbers(join_split_amounts(_flat(segments)), hints, allow_percent=False)
    if positive:
        numbers = [n for n in numbers if n[0] > 0]
    with_decimals = [n for n in numbers if n[2]]
    if with_decimals:
        value, word, _ = with_decimals[-1]
        return Reading(value, (word,))
    if numbers:
        value, word, _ = numbers[-1]
        return Reading(value, (word,), _INTEGER_AMOUNT_QUALITY)
    return None


_SPLIT_HEAD = re.compile(r"^\D{0,3}\d{1,7}[.,]$")
_SPLIT_TAIL = re.compile(r"^\d{2}$")


def join_split_amounts(words: Sequence[Word]) -> list[Word]:
    """OCR often splits an amount at its decimal mark ("39. 90", "RM96. 20"): join them."""
    joined: list[Word] = []
    for word in words:
        if joined and _SPLIT_HEAD.match(joined[-1].text) and _SPLIT_TAIL.match(word.text):
            head = joined.pop()
            box = union_bbox((head.bbox, word.bbox))
            joined.append(Word(head.text + word.text, box, min(head.confidence, word.confidence)))
        else:
            joined.append(word)
    return joined


def read_number(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    numbers = _numbers(_flat(segments), hints, allow_percent=True)
    if not numbers:
        return None
    value, word, _ = numbers[0]
    return Reading(value, (word,))


def _numbers(
    words: Sequence[Word], hints: Hints, *, allow_percent: bool
) -> list[tuple[float, Word, bool]]:
    """(value, word, has decimals) for each number word not inside a date."""
    in_dates = _date_words(words, hints)
    found = []
    for index, word in enumerate(words):
        text = word.text.rstrip(",;:")
        following = words[index + 1].text if index + 1 < len(words) else ""
        is_percent = text.endswith("%") or following.startswith("%")
        if index in in_dates or (is_percent and not allow_percent):
            continue
        value = parse_number(text.rstrip("%"), hints.decimal_style)
        prefixed = None if value is not None or allow_percent else _MISREAD_PREFIX.match(text)
        if prefixed:  # "RY41.45", "PM4.00": a currency prefix OCR misread, then an amount
            value = parse_number(prefixed.group(1), hints.decimal_style)
        if value is not None:
            found.append((value, word, bool(re.search(r"[.,]\d{1,2}\D*$", text))))
    return found


def _date_words(words: Sequence[Word], hints: Hints) -> set[int]:
    starts, text = joined_text(words)
    covered: set[int] = set()
    for match in find_dates(text, hints.date_order):
        covered.update(i for i, s in enumerate(starts) if match.start <= s < match.end)
    return covered


def read_date(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    """The first date after a label, compact `20180428` included."""
    return _read_date(segments, hints, compact=True)


def read_unlabelled_date(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    return _read_date(segments, hints, compact=False)


def _read_date(
    segments: Sequence[Sequence[Word]], hints: Hints, *, compact: bool
) -> Reading | None:
    words = _flat(segments)
    starts, text = joined_text(words)
    found = find_dates(text, hints.date_order, compact=compact)
    if not found:
        return None
    match = found[0]
    used = tuple(w for w, s in zip(words, starts, strict=True) if match.start <= s < match.end)
    doubtful = match.ambiguous and not hints.date_order_known
    quality = _AMBIGUOUS_DATE_QUALITY if doubtful else 1.0
    return Reading(match.value.isoformat(), used, quality)


def read_boolean(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    words = _flat(segments)
    if words:
        value = parse_boolean(words[0].text)
        if value is not None:
            return Reading(value, (words[0],))
    return None


def read_currency(segments: Sequence[Sequence[Word]], hints: Hints) -> Reading | None:
    words = _flat(segments)
    voted = vote([w.text for w in words])
    if voted is not None:
        code, index = voted
        return Reading(code, (words[index],))
    for index in range(len(words)):
        named = currency_of_name(" ".join(w.text for w in words[index : index + 2]))
        if named:
            return Reading(named, tuple(words[index : index + 2]))
    return None


def currency_token(word: Word) -> str | None:
    found = currency_of_token(word.text)
    return found[0] if found else None


READERS: dict[Shape, Reader] = {
    Shape.TEXT: read_text,
    Shape.CODE: read_code,
    Shape.MONEY: read_money,
    Shape.NUMBER: read_number,
    Shape.DATE: read_date,
    Shape.BOOLEAN: read_boolean,
    Shape.CURRENCY: read_currency,
    Shape.NAME: read_name,
}
