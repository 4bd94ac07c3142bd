"""Numbers as printed on documents → float: `1.234,56`, `1,234.56`, `1'234.50`, `$4.11`, `-9,32`.

A lone separator followed by exactly three digits (`1,234`, `1.234`) is ambiguous; the
document's own habit (`DecimalStyle`, from its other amounts) decides, and without evidence it
is read as a thousands separator, as invoices rarely print three decimals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

CURRENCY_AFFIXES = (
    "us$",
    "hk$",
    "s$",
    "a$",
    "c$",
    "r$",
    "rs.",
    "rs",
    "rm",
    "eur",
    "usd",
    "gbp",
    "inr",
    "myr",
    "chf",
    "$",
    "€",
    "£",
    "¥",
    "₹",
)
_PREFIX = re.compile(
    r"^(?:" + "|".join(re.escape(a) for a in CURRENCY_AFFIXES) + r")", re.IGNORECASE
)
_SUFFIX = re.compile(
    r"(?:" + "|".join(re.escape(a) for a in CURRENCY_AFFIXES) + r")$", re.IGNORECASE
)
_GROUPED = re.compile(r"^[-+]?\d{1,3}(?:([.,' \u00a0\u202f])\d{3})+(?:([.,])(\d{1,4}))?$")
_PLAIN = re.compile(r"^[-+]?\d+(?:([.,])\d+)?$")
_TRIM = ":;()[]*\"'"


class DecimalStyle(StrEnum):
    POINT = "."
    COMMA = ","


def infer_decimal_style(texts: Iterable[str]) -> DecimalStyle | None:
    """The decimal mark a document uses, from amounts with exactly two decimals."""
    points = commas = 0
    for text in texts:
        points += len(re.findall(r"\d\.\d{2}(?!\d)", text))
        commas += len(re.findall(r"\d,\d{2}(?!\d)", text))
    if points == commas:
        return None
    return DecimalStyle.POINT if points > commas else DecimalStyle.COMMA


def strip_currency(token: str) -> str:
    token = token.strip(_TRIM)
    previous = None
    while previous != token:
        previous = token
        token = _SUFFIX.sub("", _PREFIX.sub("", token)).strip(_TRIM + " ")
    return token


def parse_number(token: str, style: DecimalStyle | None = None) -> float | None:
    """The number a single printed token stands for, or None when it is not a number."""
    text = strip_currency(token)
    if text.startswith("-") and len(text) > 1 and text[1] in "€$£":
        text = "-" + strip_currency(text[1:])
    grouped = _GROUPED.match(text)
    if grouped:
        return _grouped(text, grouped.group(1), grouped.group(2), style)
    plain = _PLAIN.match(text)
    if plain:
        return _plain(text, plain.group(1))
    return None


def _grouped(
    text: str, group: str, decimal: str | None, style: DecimalStyle | None
) -> float | None:
    if decimal == group:
        return None  # "1.234.56"
    if decimal is None and group in ".," and text.count(group) == 1:
        head = text.lstrip("+-").split(group)[0]
        if head == "0" or (style is not None and style.value == group):
            return float(text.replace(group, "."))  # "0.125", or "1.234" where "." is decimal
    integer, fraction = text.rsplit(decimal, 1) if decimal else (text, "")
    integer = re.sub(r"[.,' \u00a0\u202f]", "", integer)
    return float(f"{integer}.{fraction}" if fraction else integer)


def _plain(text: str, mark: str | None) -> float:
    return float(text.replace(mark, ".") if mark else text)
