"""Currency: ISO 4217 codes from codes, symbols and names printed in a document.

`$` alone means USD unless a dollar currency's code (AUD, CAD, SGD, ...) appears too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

ISO_CODES = frozenset(
    {
        "EUR",
        "USD",
        "GBP",
        "MYR",
        "INR",
        "CHF",
        "JPY",
        "CNY",
        "AUD",
        "CAD",
        "SGD",
        "HKD",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "BRL",
        "MXN",
        "ZAR",
        "AED",
        "SAR",
        "THB",
        "IDR",
        "PHP",
        "VND",
        "KRW",
        "TRY",
        "RUB",
        "ILS",
    }
)
_DOLLAR_CODES = frozenset({"AUD", "CAD", "SGD", "HKD", "NZD"})
_PREFIXED_SYMBOLS = {"us$": "USD", "hk$": "HKD", "s$": "SGD", "a$": "AUD", "c$": "CAD", "r$": "BRL"}
_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY", "$": "USD"}
_WORD_SYMBOLS = {"rm": "MYR", "rs": "INR", "rs.": "INR", "inr": "INR", "zł": "PLN", "fr.": "CHF"}
_NAMES = {
    "us dollars": "USD",
    "us dollar": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pounds sterling": "GBP",
    "ringgit": "MYR",
    "rupees": "INR",
    "swiss francs": "CHF",
}
_CODE_WEIGHT = 2  # a code on a line with an amount; 1 elsewhere ("SEK" in an address)
_AMOUNT = re.compile(r"\d[.,]\d{2}(?!\d)")
_BARE_SYMBOLS = frozenset({"$", "€", "£", "¥", "₹", "us$", "s$", "hk$", "a$", "c$", "r$"})
_IN_BRACKETS = re.compile(r"\((RM|Rs|[A-Z]{3})\)")
# An amount a symbol is glued to ("$4.11", "45,93€"), not a number with leading zeros ("$0003").
_GLUED_AMOUNT = re.compile(r"^[-+(]?(?:0|[1-9][\d.,' ]*)(?:[.,]\d{1,2})?\)?$")
_NUMBER_LIKE = re.compile(r"^[-+(]?\d[\d.,' ]*\)?$")
_AMOUNT_AFFIX = re.compile(r"^(rm|rs\.?|us\$|hk\$|s\$|a\$|c\$|r\$)[-\d]", re.IGNORECASE)


def currency_of_token(token: str) -> tuple[str, int] | None:
    """(ISO code, weight) a single printed token stands for, if any."""
    text = token.strip(":;,()[]*")
    if text.upper() in ISO_CODES and text.isupper():
        return text.upper(), _CODE_WEIGHT
    lowered = text.lower()
    if lowered in _WORD_SYMBOLS:
        return _WORD_SYMBOLS[lowered], 1
    code = _symbol_code(text, lowered)
    if code is not None:
        return code, 1
    bracketed = _IN_BRACKETS.search(token)  # "Amount(RM)", "Total (EUR)"
    return currency_of_token(bracketed.group(1)) if bracketed else None


def _symbol_code(text: str, lowered: str) -> str | None:
    affix = _AMOUNT_AFFIX.match(lowered)
    if affix:
        key = affix.group(1)
        return (
            _PREFIXED_SYMBOLS.get(key)
            or _WORD_SYMBOLS[key.rstrip(".") if key.startswith("rs") else key]
        )
    for prefix, code in _PREFIXED_SYMBOLS.items():
        if prefix in lowered:
            return code
    for symbol, code in _SYMBOLS.items():
        if text == symbol or (symbol in text and _GLUED_AMOUNT.match(text.replace(symbol, ""))):
            return code
    return None


def currency_of_name(text: str) -> str | None:
    lowered = text.lower()
    return next((code for name, code in _NAMES.items() if re.search(rf"\b{name}\b", lowered)), None)


def vote(tokens: Sequence[str]) -> tuple[str, int] | None:
    """The best-supported currency of `tokens` and the index of its first token."""
    scores: Counter[str] = Counter()
    first: dict[str, int] = {}
    for index, token in enumerate(tokens):
        found = currency_of_token(token)
        if found and (not _stands_by_amount(tokens, index) or _among_words(tokens, index)):
            continue
        if found:
            scores[found[0]] += found[1]
            first.setdefault(found[0], index)
    if not scores:
        return None
    if "USD" in scores and _DOLLAR_CODES & scores.keys() and not _explicit_usd(tokens):
        other = max(_DOLLAR_CODES & scores.keys(), key=lambda c: scores[c])
        scores[other] += scores.pop("USD")
        first[other] = min(first[other], first["USD"])
    best = max(scores, key=lambda code: (scores[code], -first[code]))
    return best, first[best]


def vote_lines(lines: Sequence[Sequence[str]]) -> tuple[str, int, int, int] | None:
    """`vote` over several lines (a bare symbol's neighbours are on its own line):
    (code, its score, line index, token index) of the best-supported currency."""
    scores: Counter[str] = Counter()
    first: dict[str, tuple[int, int]] = {}
    for number, tokens in enumerate(lines):
        priced = any(_AMOUNT.search(t) for t in tokens)
        for index, token in enumerate(tokens):
            found = currency_of_token(token)
            if found and _stands_by_amount(tokens, index) and not _among_words(tokens, index):
                weight = found[1] if priced or found[1] < _CODE_WEIGHT else 1
                scores[found[0]] += weight
                first.setdefault(found[0], (number, index))
    if not scores:
        return None
    flat = [t for tokens in lines for t in tokens]
    if "USD" in scores and _DOLLAR_CODES & scores.keys() and not _explicit_usd(flat):
        other = max(_DOLLAR_CODES & scores.keys(), key=lambda c: scores[c])
        scores[other] += scores.pop("USD")
        first[other] = min(first[other], first.pop("USD"))
    best = max(scores, key=lambda code: (scores[code], tuple(-x for x in first[code])))
    return best, scores[best], *first[best]


def _stands_by_amount(tokens: Sequence[str], index: int) -> bool:
    """A bare symbol counts only next to an amount: "$ 4.11", "45,93 €" (not "4.00 $", where
    OCR often reads a tax code S as a dollar sign)."""
    symbol = tokens[index].strip(":;,()[]*").lower()
    if symbol not in _BARE_SYMBOLS:
        return True
    after = index + 1 < len(tokens) and bool(_NUMBER_LIKE.match(tokens[index + 1]))
    before = index > 0 and bool(_NUMBER_LIKE.match(tokens[index - 1]))
    return after or (before and "$" not in symbol)


def _among_words(tokens: Sequence[str], index: int) -> bool:
    """A code between two words is a word of a product or a place ("TAU SAR PNEAH")."""
    if not 0 < index < len(tokens) - 1 or not tokens[index].isalpha():
        return False
    return tokens[index - 1].isalpha() and tokens[index + 1].isalpha()


def _explicit_usd(tokens: Sequence[str]) -> bool:
    return any(t.strip(":;,()").upper() == "USD" or "us$" in t.lower() for t in tokens)
