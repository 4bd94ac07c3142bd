"""The seller's name and postal address from the layout, where no label announces them.

Invoices and receipts print the seller first: a name at the top of page 1 (often larger, often
with a legal form such as Ltd, GmbH or Sdn Bhd), then its address block, then contact and tax
numbers. Candidates for the name, in the header zone of page 1 outside any customer block
("Bill to", "Ship to", "Attn"):

    a line carrying a legal form (the name words before it)     0.70
    the first name-like lines (letters, few words, no label)    0.50, less for later ones
    a legal-form name in a page footer                          0.45
    + 0.15 when an address block follows, + 0.05 for a larger font

The address block is the run of lines under the name that look like an address (street and
unit words, a postcode, a country or region), skipping a registration-number line or a branch
name before it, and ending at the postcode line (plus a region line right after it) or at the
first phone, e-mail, tax-number or title line.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from quarry.engines.offline.address import LineKind, classify, is_greeting, is_title, title_words
from quarry.engines.offline.company import company_span, is_legal_form, name_text, trim_name
from quarry.engines.offline.layout_index import IndexedLine, LayoutIndex, Segment
from quarry.engines.offline.regions import LabelStarts
from quarry.engines.offline.table_layout import is_heading_line
from quarry.engines.offline.vocabulary import tokens
from quarry.parsing.model import Word

HEADER_LINES = 16
HEADER_BOTTOM = 0.5
FOOTER_TOP = 0.8
LEGAL_SCORE = 0.7
LEGAL_RANK_PENALTY = 0.08
NAME_SCORE = 0.5
FOOTER_SCORE = 0.45
ADDRESS_BONUS = 0.15
PROMINENT_BONUS = 0.05
RANK_PENALTY = 0.04
_MAX_NAME_WORDS = 8
_NEAR_LINES = 4
_MAX_SKIPPED = 3
_MAX_ADDRESS_LINES = 6
_MIN_WORD_CONFIDENCE = 0.45
_ARTICLES = frozenset({("the",), ("le",), ("la",), ("les",), ("de",), ("het",), ("der",), ("die",)})

Excluded = frozenset[tuple[int, int]]  # (line number, segment) inside a customer block


@dataclass(frozen=True)
class NameFound:
    words: tuple[Word, ...]
    line: IndexedLine
    score: float


@dataclass(frozen=True)
class AddressFound:
    text: str
    words: tuple[Word, ...]
    page: int
    score: float


def vendor_names(index: LayoutIndex, excluded: Excluded, starts: LabelStarts) -> list[NameFound]:
    """Name candidates from the layout, best first."""
    if not index.lines:
        return []
    heights = [ln.line.bbox[3] - ln.line.bbox[1] for ln in index.lines]
    typical = statistics.median(heights) if heights else 0.0
    found = [*_header_names(index, excluded, starts, typical), *_footer_names(index, excluded)]
    return sorted(_prefer_full_names(found), key=lambda n: -n.score)


def _prefer_full_names(found: list[NameFound]) -> list[NameFound]:
    """A logo's short name ("AMAZON") gives way to the full name it starts ("Amazon Web
    Services") printed on the next few lines."""
    result = []
    for name in found:
        short = _folded(name.words) + " "
        longer = [
            other
            for other in found
            if other.score < name.score
            and 0 < other.line.number - name.line.number <= _NEAR_LINES
            and _folded(other.words).startswith(short)
        ]
        score = max(o.score for o in longer) - 0.01 if longer else name.score
        result.append(NameFound(name.words, name.line, score))
    return result


def _folded(words: Sequence[Word]) -> str:
    return " ".join(tokens(" ".join(w.text for w in words)))


def _header_names(
    index: LayoutIndex, excluded: Excluded, starts: LabelStarts, typical: float
) -> Iterator[NameFound]:
    first_page = index.lines[0].page
    plain_rank = legal_rank = 0
    for line in _header(index, first_page):
        for number, segment in enumerate(line.segments):
            if (line.number, number) in excluded or (line.number, number, 0) in starts:
                continue
            words, base = _name_in(index, line, number, segment)
            if not words or _inside_address(index, line):
                continue
            words = _with_continuation(index, line, words)
            if base == NAME_SCORE:
                base -= RANK_PENALTY * plain_rank
                plain_rank += 1
            else:
                base -= LEGAL_RANK_PENALTY * legal_rank
                legal_rank += 1
            bonus = ADDRESS_BONUS if address_after(index, line, words, excluded) else 0.0
            if typical and (line.line.bbox[3] - line.line.bbox[1]) > 1.25 * typical:
                bonus += PROMINENT_BONUS
            yield NameFound(words, line, base + bonus)


def _header(index: LayoutIndex, page: int) -> Iterator[IndexedLine]:
    """The top lines of the first page, up to the first amount or table heading."""
    for line in index.lines[:HEADER_LINES]:
        if line.page != page or line.line.bbox[1] > HEADER_BOTTOM:
            return
        if _has_amount(line) or is_heading_line(line):
            return
        yield line


def _has_amount(line: IndexedLine) -> bool:
    for word in line.line.words:
        text = word.text.strip("$€£:;,()")
        if re.fullmatch(r"-?\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}", text):
            return True
    return False


def _name_in(
    index: LayoutIndex, line: IndexedLine, number: int, segment: Segment
) -> tuple[tuple[Word, ...], float]:
    span = company_span(segment.words)
    if span is not None:
        return _clean_name(segment.words[span[0] : span[1]]), LEGAL_SCORE
    if all(is_legal_form(w.text) for w in segment.words if w.text.strip(".,")):
        before = _segment_above(index, line, segment)
        if before is not None and is_name_like(before.text):
            return _clean_name((*before.words, *segment.words)), LEGAL_SCORE
        return (), 0.0
    words = _confident_core(segment.words)
    text = " ".join(w.text for w in words)
    if words and is_name_like(text) and any(ch.isupper() for ch in text) and not text[0].isdigit():
        return _clean_name(words), NAME_SCORE
    return (), 0.0


def _inside_address(index: LayoutIndex, line: IndexedLine) -> bool:
    """A line right under a street line ("No. 145G, Jalan Rimbunan Raya 1," / "Laman Rimbunan
    Kepong,") continues the address; the seller's name is printed above it."""
    if line.number == 0 or index.lines[line.number - 1].page != line.page:
        return False
    above = index.lines[line.number - 1].line.text
    kind = classify(above)
    return kind.street and not kind.postcode and above.rstrip().endswith(",")


def _with_continuation(
    index: LayoutIndex, line: IndexedLine, words: tuple[Word, ...]
) -> tuple[Word, ...]:
    """A name printed over two lines joined by "&" ("HOME MASTER HARDWARE &" /
    "ELECTRICAL", "L TWO FLORIST" / "& HANDICRAFT") is one name."""
    if line.number + 1 >= len(index.lines):
        return words
    below = index.lines[line.number + 1]
    if below.page != line.page or len(below.segments) != 1:
        return words
    following = below.segments[0]
    own = next((sg.words for sg in line.segments if words[-1] in sg.words), words)
    tail = own[own.index(words[-1]) + 1 :] if words[-1] in own else ()
    ends_joined = own[-1].text.endswith("&") or own[-1].text.upper() == "AND"
    if not (ends_joined or following.words[0].text.startswith("&")):
        return words
    if is_name_like(following.text.lstrip("& ")) and not _has_amount(below):
        return (*words, *tail, *following.words)[:_MAX_NAME_WORDS]
    return words


def _footer_names(index: LayoutIndex, excluded: Excluded) -> Iterator[NameFound]:
    for line in index.lines:
        if line.line.bbox[1] < FOOTER_TOP:
            continue
        for number, segment in enumerate(line.segments):
            span = company_span(segment.words)
            if span is not None and (line.number, number) not in excluded:
                yield NameFound(_clean_name(segment.words[span[0] : span[1]]), line, FOOTER_SCORE)


def _segment_above(index: LayoutIndex, line: IndexedLine, segment: Segment) -> Segment | None:
    if line.number == 0 or index.lines[line.number - 1].page != line.page:
        return None
    above = index.lines[line.number - 1]
    x0, x1 = segment.words[0].bbox[0], segment.words[-1].bbox[2]
    return next((s for s in above.segments if _overlap(s, x0 - 0.2, x1 + 0.2)), None)


def _overlap(segment: Segment, x0: float, x1: float) -> bool:
    return segment.words[0].bbox[0] < x1 and segment.words[-1].bbox[2] > x0


def _clean_name(words: Sequence[Word]) -> tuple[Word, ...]:
    kept = list(trim_name(words))
    titles = title_words()
    while kept and _is_title_word(kept[0], titles) and not _starts_name(kept):
        kept.pop(0)
    while kept and _is_title_word(kept[-1], titles):
        kept.pop()
    if ":" in "".join(w.text for w in kept[:-1]):  # "Operated by: Acme Sdn Bhd": after a label
        cut = max(i for i, w in enumerate(kept[:-1]) if ":" in w.text)
        kept = kept[cut + 1 :]
    return trim_name(kept[:_MAX_NAME_WORDS])


def _starts_name(words: Sequence[Word]) -> bool:
    """An article opening a name ("The Toast F&B Sdn Bhd") stays."""
    return len(words) > 1 and tokens(words[0].text) in _ARTICLES


def _is_title_word(word: Word, titles: frozenset[str]) -> bool:
    found = tokens(word.text)
    return bool(found) and all(t in titles for t in found) and not is_legal_form(word.text)


def is_name_like(text: str) -> bool:
    """Letters, a few words, no label, contact, date, amount, title or greeting."""
    kind = classify(text)
    if kind.stop or kind.registration or kind.address_score >= 2 or kind.bracketed:
        return False
    stripped = text.strip(" |!*_-~.,;'\"`")
    if not stripped or stripped.endswith(":") or is_title(text) or is_greeting(text):
        return False
    chars = [ch for ch in stripped if not ch.isspace()]
    letters = sum(ch.isalpha() for ch in chars)
    digits = sum(ch.isdigit() for ch in chars)
    words = stripped.split()
    longest = max((sum(ch.isalpha() for ch in w) for w in words), default=0)
    return (
        letters >= 4
        and letters >= 0.7 * len(chars)
        and digits <= 2
        and longest >= 3
        and (len(words) <= _MAX_NAME_WORDS)
    )


def _confident_core(words: Sequence[Word]) -> tuple[Word, ...]:
    """The words without poorly read ones at either end (OCR of logos and stamps)."""
    kept = list(words)
    while kept and kept[0].confidence < _MIN_WORD_CONFIDENCE:
        kept.pop(0)
    while kept and kept[-1].confidence < _MIN_WORD_CONFIDENCE:
        kept.pop()
    if any(w.confidence < _MIN_WORD_CONFIDENCE for w in kept):
        return ()
    return tuple(kept)


def name_value(words: Sequence[Word]) -> str:
    return name_text(words)


# --- the address block ---------------------------------------------------------------------


def address_after(
    index: LayoutIndex, line: IndexedLine, name: Sequence[Word], excluded: Excluded
) -> AddressFound | None:
    """The address block printed under (or after) the name on `line`, or None."""
    x0 = min(w.bbox[0] for w in name)
    x1 = max(w.bbox[2] for w in name)
    block: list[tuple[Word, ...]] = []
    rest = _rest_of_line(line, name)
    rest_text = " ".join(w.text for w in rest)
    if rest and _starts_address(classify(rest_text), rest_text):
        block.append(rest)
    _collect(block, _lines_below(index, line, x0, x1, excluded))
    if not block:
        return None
    words = tuple(w for part in block for w in part)
    text = ", ".join(name_text(part) for part in block if name_text(part))
    kinds = [classify(" ".join(w.text for w in part)) for part in block]
    score = 0.5 + 0.1 * any(k.postcode for k in kinds) + 0.05 * any(k.street for k in kinds)
    return AddressFound(text.replace(",,", ","), words, line.page, min(score, 0.7))


def _rest_of_line(line: IndexedLine, name: Sequence[Word]) -> tuple[Word, ...]:
    words = line.line.words
    if name[-1] not in words:
        return ()
    after = words[words.index(name[-1]) + 1 :]
    while after and not any(ch.isalnum() for ch in after[0].text):
        after = after[1:]
    return tuple(after)


def _lines_below(
    index: LayoutIndex, line: IndexedLine, x0: float, x1: float, excluded: Excluded
) -> Iterator[tuple[Word, ...]]:
    height = max(line.line.bbox[3] - line.line.bbox[1], 0.005)
    bottom = line.line.bbox[3]
    for other in index.lines[line.number + 1 : line.number + 1 + _MAX_ADDRESS_LINES + 3]:
        if other.page != line.page or other.line.bbox[1] - bottom > 3.5 * height:
            return
        words = _column_words(other, x0, x1, excluded)
        if not words:
            continue
        bottom = other.line.bbox[3]
        yield words


def _column_words(line: IndexedLine, x0: float, x1: float, excluded: Excluded) -> tuple[Word, ...]:
    """The line's words in the name's column, without OCR specks ("|", "_", "!")."""
    width = max(x1 - x0, 0.1)
    kept: list[Word] = []
    for number, segment in enumerate(line.segments):
        if (line.number, number) in excluded:
            continue
        if _overlap(segment, x0 - width * 0.5, x1 + width * 0.5):
            kept.extend(w for w in segment.words if _real_word(w))
    return tuple(kept)


def _real_word(word: Word) -> bool:
    alnum = sum(ch.isalnum() for ch in word.text)
    return alnum >= 2 or (alnum == 1 and word.confidence >= _MIN_WORD_CONFIDENCE)


def _collect(block: list[tuple[Word, ...]], lines: Iterator[tuple[Word, ...]]) -> None:
    skipped = 0
    postcode = any(classify(" ".join(w.text for w in part)).postcode for part in block)
    for words in lines:
        text = " ".join(w.text for w in words)
        kind = classify(text)
        if postcode:
            if _region_line(text, kind):
                block.append(_trimmed(words))
            return
        if not block:
            if _starts_address(kind, text):
                block.append(_trimmed(words))
            elif (kind.registration or kind.bracketed or _branch(text, kind)) and (
                skipped < _MAX_SKIPPED
            ):
                skipped += 1
                continue
            else:
                return
        elif _continues(text, kind):
            block.append(_trimmed(words))
        else:
            return
        postcode = kind.postcode or postcode
        if len(block) >= _MAX_ADDRESS_LINES:
            return


def _starts_address(kind: LineKind, text: str = "") -> bool:
    if kind.bracketed or kind.stop or kind.registration:
        return False
    return kind.address_score >= 2 or (kind.numbered and "," in text)


def _continues(text: str, kind: LineKind) -> bool:
    if kind.stop:
        return False
    if kind.registration or kind.bracketed or is_title(text) or is_greeting(text):
        return kind.street or kind.postcode
    return kind.address_score >= 1 or len(text.split()) <= 6


def _region_line(text: str, kind: LineKind) -> bool:
    plain = not any(ch.isdigit() for ch in text) and len(text.split()) <= 5
    return plain and not kind.stop and not is_title(text) and not is_greeting(text)


def _branch(text: str, kind: LineKind) -> bool:
    """A branch or shop name between the company name and its address."""
    return not kind.stop and len(text.split()) <= 5 and not is_title(text)


def _trimmed(words: Sequence[Word]) -> tuple[Word, ...]:
    kept = list(words)
    while kept and not any(ch.isalnum() for ch in kept[0].text):
        kept.pop(0)
    while kept and not any(ch.isalnum() for ch in kept[-1].text):
        kept.pop()
    return tuple(kept)
