"""Company names as printed: legal-form suffixes and the name words before them.

"Coolblue B.V.", "AEON CO. (M) BHD. (126926-H)", "Nando's Chickenland Malaysia Sdn Bhd",
"QualityHosting AG - Uferweg 40-42": the name is the run of name-like words ending at the
legal form (and any further legal-form words right after it, such as "Sdn Bhd" or "Pvt. Ltd."),
without a registration number in brackets after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from quarry.parsing.model import Word

# Legal forms, folded to lower case without dots or spaces ("s.a.s." → "sas").
LEGAL_FORMS = frozenset(
    {
        "gmbh", "ag", "kg", "ohg", "ug", "ev", "ltd", "limited", "inc", "incorporated",
        "llc", "llp", "lp", "plc", "corp", "corporation", "co", "company", "bv", "nv",
        "vof", "sa", "sas", "sasu", "sarl", "eurl", "sprl", "srl", "spa", "sl", "slu",
        "sdn", "bhd", "berhad", "pvt", "pte", "pty", "oy", "oyj", "ab", "as", "asa",
        "aps", "kk", "lda", "sro", "zoo", "kft", "enterprise", "enterprises", "trading",
    }
)  # fmt: skip
# Forms that alone make a name ("Coolblue B.V."), unlike "co", "trading" or "as".
STRONG_FORMS = frozenset(LEGAL_FORMS - {"co", "company", "as", "enterprise", "enterprises"})
_REGISTRATION = re.compile(r"^\(?[\dA-Z-]*\d[\dA-Z-]*\)?[.,]?$")
_BRACKETED = re.compile(r"^\([^()]*\)?[.,]?$|^\(?[A-Z]\)$")
_NAME_BREAK = (":", "|", "•", "–", "—")
_MAX_NAME_WORDS = 8


def form_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def is_legal_form(word: str, *, strong: bool = False) -> bool:
    forms = STRONG_FORMS if strong else LEGAL_FORMS
    return form_key(word) in forms and any(ch.isalpha() for ch in word)


def company_span(words: Sequence[Word]) -> tuple[int, int] | None:
    """(start, end) of the company name in `words` (end exclusive), or None without one.

    Needs a strong legal form that is not the first word ("Company Reg No" is no name); the
    name runs back to the start of the run of words, a label's colon or a sentence break.
    """
    suffix = next(
        (i for i, w in enumerate(words) if i > 0 and is_legal_form(w.text, strong=True)), None
    )
    if suffix is None:
        return None
    first = suffix
    while first > 0 and is_legal_form(words[first - 1].text):
        first -= 1
    end = suffix + 1
    while end < len(words) and _continues_name(words[end].text):
        end += 1
    start = first
    while start > 0 and first - start < _MAX_NAME_WORDS and _joins_name(words[start - 1].text):
        start -= 1
    named = any(sum(ch.isalpha() for ch in w.text) >= 2 for w in words[start:first])
    return (start, end) if start < first and named else None


def _continues_name(text: str) -> bool:
    return is_legal_form(text) or text in ("(M)", "(M).", "(S)") or text == "."


def _joins_name(text: str) -> bool:
    if text.endswith(_NAME_BREAK) or text in ("-", "–", "—", "|", "*"):
        return False
    if text.endswith((".", "!", "?")) and text[:-1].isalpha() and len(text) > 5:
        return False  # a sentence ends here ("D.I.Y." and "Co." do not end one)
    if any(ch.isupper() for ch in text):  # "Amazon", "AEON", "e-Luscious"
        return True
    return text[:1].isdigit() or text[:1] in "&('\"" or text == "&"


def trim_name(words: Sequence[Word]) -> tuple[Word, ...]:
    """Leading and trailing noise off a name: punctuation, bracketed registration numbers."""
    kept = list(words)
    while kept and not any(ch.isalnum() for ch in kept[0].text):
        kept.pop(0)
    while kept and (
        not any(ch.isalnum() for ch in kept[-1].text)
        or (_REGISTRATION.match(kept[-1].text) and "(" in kept[-1].text)
        or (_BRACKETED.match(kept[-1].text) and any(ch.isdigit() for ch in kept[-1].text))
    ):
        kept.pop()
    return tuple(kept)


def name_text(words: Sequence[Word]) -> str:
    text = " ".join(w.text for w in words)
    return text.strip(" ,;:-–—|*_~\"'`")
