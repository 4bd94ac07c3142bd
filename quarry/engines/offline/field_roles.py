"""Which role a schema field takes, from its name and description (no model, no network).

The field name is split into words (`invoiceTotal`, `invoice_total` → "invoice total") and
compared with every role's field names: an exact match wins; otherwise the closest name scoring
at least `NAME_THRESHOLD` (rapidfuzz ratio, so "vendr_name" → vendor, "total_tax" → tax, not
total). A name that matches nothing is then read through its description: the longest role
name or printed label found in it as whole words decides ("Grand total to pay, including tax"
→ total, by "total to pay").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from rapidfuzz import fuzz

from quarry.core.fields import FieldSpec
from quarry.engines.offline.roles import ROLES, Role

NAME_THRESHOLD = 88.0
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[,;:()/]|\s-\s|\bor\b|\band\b|\bincl\w*\b|\be\.g\.")
_FILLER = frozenset(
    {"the", "a", "an", "of", "as", "printed", "value", "field", "on", "one", "line"}
)


def field_words(name: str) -> str:
    """`invoiceTotal` / `invoice_total` / `InvoiceTotal` → "invoice total"."""
    spaced = _CAMEL.sub(" ", name).replace("_", " ").replace("-", " ")
    return " ".join(spaced.lower().split())


def role_of(spec: FieldSpec) -> Role | None:
    return _role_for(spec.name, spec.description or "")


@lru_cache(maxsize=4096)
def _role_for(name: str, description: str) -> Role | None:
    words = field_words(name)
    ordered = " ".join(sorted(words.split()))
    exact = next((role for role in ROLES if words in role.names), None)
    exact = exact or next((role for role in ROLES if ordered in _sorted_names(role)), None)
    if exact is not None:  # "amount_total" is "total amount"
        return exact
    role, score = _best(words, lambda role: role.names)
    if role is not None and score >= NAME_THRESHOLD:
        return role
    return _named_in(description_phrases(description))


def _named_in(phrases: list[str]) -> Role | None:
    """The role whose longest name or label is printed as whole words in a phrase of the
    description (the earliest when two are as long): "Grand total to pay" → total."""
    best: tuple[int, int, Role | None] = (0, 0, None)
    for phrase in phrases:
        padded = f" {phrase} "
        for role in ROLES:
            for known in (*role.names, *role.labels):
                position = padded.find(f" {known} ")
                size = len(known.split())
                if position >= 0 and (size, -position) > best[:2]:
                    best = (size, -position, role)
    return best[2]


@lru_cache(maxsize=64)
def _sorted_names(role: Role) -> frozenset[str]:
    return frozenset(" ".join(sorted(n.split())) for n in role.names)


def description_phrases(description: str) -> list[str]:
    """Short phrases of a description, filler words dropped, longest first."""
    phrases = []
    for part in _SPLIT.split(description.lower()):
        words = [w for w in re.findall(r"[a-z0-9#]+", part) if w not in _FILLER]
        if words and len(words) <= 4:
            phrases.append(" ".join(words))
    return sorted(phrases, key=len, reverse=True)


def _best(text: str, phrases_of: Callable[[Role], Iterable[str]]) -> tuple[Role | None, float]:
    best: tuple[Role | None, float] = (None, 0.0)
    for role in ROLES:
        for phrase in phrases_of(role):
            score = fuzz.ratio(text, phrase)
            if score > best[1]:
                best = (role, score)
    return best
