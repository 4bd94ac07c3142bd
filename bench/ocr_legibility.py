"""How many true values are legible in Quarry's OCR text, per OCR path.

    .venv/bin/python bench/ocr_legibility.py [--set dev] [--engines tesseract rapidocr]
                                             [--limit N] [--misses]

For every receipt of an evaluation set with ground truth (../shared/data/<set>/expected/*.json),
the document is parsed as a job would parse it (OCR included, in this process) and each true
value of vendor, vendor_address, date and total is looked for in the page text, both
normalised: upper case, letters and digits only (the original label's spelling when the set
keeps one: "25/12/2018", "9.00"). A value found there is legible: an engine could extract it.

Every 4th document in sorted order is held back (as ../shared/eval/evaluate.py does): its
numbers are printed apart and its misses never are, so tuning OCR on this bench cannot look
at it. `--misses` lists the tune part's missed values. Prints numbers only; not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quarry.parsing import parse  # noqa: E402
from quarry.parsing.options import OcrOptions  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FIELDS = {"vendor": "company", "vendor_address": "address", "date": "date", "total": "total"}
MIME = {".jpg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf"}


def held_back(doc_ids: list[str]) -> set[str]:
    return {d for i, d in enumerate(sorted(doc_ids)) if i % 4 == 3}


def normalised(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def truths(expected: dict[str, Any]) -> dict[str, str]:
    """Field → the true value as printed (the original label when there is one)."""
    labels = expected.get("original_labels") or {}
    found = {}
    for field, label in FIELDS.items():
        value = labels.get(label, expected["fields"].get(field))
        if value not in (None, ""):
            found[field] = str(value)
    return found


def page_text(path: Path, engine: str) -> tuple[str, float]:
    started = time.perf_counter()
    ocr = OcrOptions(engine=engine)  # type: ignore[arg-type]
    document = parse(path, MIME[path.suffix.lower()], max_pages=5, ocr=ocr)
    text = "\n".join(line.text for page in document.pages for line in page.lines)
    return text, time.perf_counter() - started


def measure(root: Path, engine: str, limit: int | None, misses: bool) -> None:
    expected = {
        p.stem: json.loads(p.read_text()) for p in sorted((root / "expected").glob("*.json"))
    }
    back = held_back(list(expected))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    seconds: list[float] = []
    for doc_id in list(expected)[:limit]:
        record = expected[doc_id]
        text, spent = page_text(root / record["file"], engine)
        seconds.append(spent)
        flat = normalised(text)
        part = "held-back" if doc_id in back else "tune"
        for field, value in truths(record).items():
            legible = normalised(value) in flat
            for key in (part, f"{part}:{field}"):
                counts[key][0] += legible
                counts[key][1] += 1
            if misses and part == "tune" and not legible:
                print(f"  miss {doc_id} {field}: {value!r}")
    _report(engine, counts, seconds)


def _report(engine: str, counts: dict[str, list[int]], seconds: list[float]) -> None:
    mean = sum(seconds) / len(seconds) if seconds else 0.0
    print(f"== {engine}: {len(seconds)} documents, {mean:.2f} s a document (parse + OCR)")
    for part in ("tune", "held-back"):
        found, total = counts.get(part, [0, 0])
        if not total:
            continue
        fields = "  ".join(
            f"{f} {counts[f'{part}:{f}'][0] / counts[f'{part}:{f}'][1]:.0%}"
            for f in FIELDS
            if counts.get(f"{part}:{f}", [0, 0])[1]
        )
        print(f"  {part:<10} {found}/{total} = {found / total:6.1%}   {fields}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dev")
    parser.add_argument("--engines", nargs="+", default=["tesseract", "rapidocr"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    root = DATA / args.set
    if not (root / "expected").is_dir():
        print(f"{root} is absent: nothing to measure")
        return
    for engine in args.engines:
        measure(root, engine, args.limit, args.misses)


if __name__ == "__main__":
    main()
