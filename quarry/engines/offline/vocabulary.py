"""Which printed labels announce which schema field, and how its value is read.

A field gets the labels of its *role* (`roles.py`, recognised by `field_roles.py`), the words
of its own name, and, for fields without a role, short phrases of its description.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from quarry.core.fields import FieldSpec, FieldType
from quarry.engines.offline.field_roles import description_phrases, field_words, role_of
from quarry.engines.offline.roles import Role, Shape

WEAK_LABEL = 0.8
DESCRIPTION_LABEL = 0.8
Phrase = tuple[str, float]  # normalised phrase, weight 0-1
_MAX_DESCRIPTION_WORDS = 3
_TOKEN = re.compile(r"[a-z0-9_]+|#")
_CODE_NAME = re.compile(r"(^| )(number|no|nr|id|code|ref|reference)$")


def normalise(text: str) -> str:
    """Lower case, accents and `n°`-style marks folded, for label comparison."""
    text = re.sub(r"\b[nN][°º]", "no ", text)
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 16)
def tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(normalise(text)))


def label_phrases(spec: FieldSpec) -> tuple[Phrase, ...]:
    """Every label phrase that may announce `spec`, with its weight."""
    name = field_words(spec.name)
    weighted: list[Phrase] = [(name, 1.0)]
    if name.endswith(" number"):
        stem = name.removesuffix(" number")
        weighted.extend((f"{stem} {mark}", 1.0) for mark in ("no", "nr", "#", "num"))
    role = role_of(spec)
    if role is not None:
        weighted.extend(role_phrases(role))
    elif spec.description:
        phrases = description_phrases(spec.description)
        weighted.extend(
            (p, DESCRIPTION_LABEL) for p in phrases if len(p.split()) <= _MAX_DESCRIPTION_WORDS
        )
    best: dict[str, float] = {}
    for phrase, weight in weighted:
        key = " ".join(tokens(phrase))
        if key:
            best[key] = max(weight, best.get(key, 0.0))
    return tuple(best.items())


def role_phrases(role: Role) -> list[Phrase]:
    return [(label, 1.0) for label in role.labels] + [(w, WEAK_LABEL) for w in role.weak_labels]


def shape_of(spec: FieldSpec) -> Shape:
    role = role_of(spec)
    if spec.type is FieldType.NUMBER:
        return Shape.MONEY if role is not None and role.shape is Shape.MONEY else Shape.NUMBER
    if spec.type is FieldType.DATE:
        return Shape.DATE
    if spec.type is FieldType.BOOLEAN:
        return Shape.BOOLEAN
    if role is not None and role.shape in (Shape.CODE, Shape.CURRENCY, Shape.NAME):
        return role.shape
    if _CODE_NAME.search(field_words(spec.name)):
        return Shape.CODE
    return Shape.TEXT
