"""Pages per second of parse + offline extraction on text-layer PDFs, in one process (one core).

    .venv/bin/python bench/engine.py [--source DIR] [--rounds 5]

Uses the PDFs of `shared/data/public/docs` (or tests/fixtures/docs), the evaluation schema,
and prints parse, extract and total pages per CPU-second (process time, so other load on the
machine does not skew it). Prints numbers only; not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quarry.core.fields import specs_from_wire  # noqa: E402
from quarry.engines.base import EngineContext  # noqa: E402
from quarry.engines.registry import get_engine  # noqa: E402
from quarry.parsing import parse  # noqa: E402
from quarry.parsing.options import OcrOptions  # noqa: E402

SHARED_DOCS = ROOT.parent / "shared" / "data" / "public" / "docs"
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "invoice-schema.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = SHARED_DOCS if SHARED_DOCS.is_dir() else ROOT / "tests" / "fixtures" / "docs"
    parser.add_argument("--source", type=Path, default=default)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pdfs = sorted(args.source.glob("*.pdf"))
    context = EngineContext(fields=specs_from_wire(SCHEMA["fields"]), file_name="bench.pdf")
    engine = get_engine("offline")
    no_ocr = OcrOptions(pdf_images=False)  # text layers only: what this number is about
    parse_seconds = extract_seconds = 0.0
    pages = 0
    for _ in range(args.rounds):
        for path in pdfs:
            started = time.process_time()
            document = parse(path, "application/pdf", max_pages=200, ocr=no_ocr)
            parsed = time.process_time()
            engine.extract(document, context)
            parse_seconds += parsed - started
            extract_seconds += time.process_time() - parsed
            pages += len(document.pages)
    total = parse_seconds + extract_seconds
    print(f"{len(pdfs)} PDFs x {args.rounds} rounds = {pages} pages")
    print(f"parse   {pages / parse_seconds:7.1f} pages/s")
    print(f"extract {pages / extract_seconds:7.1f} pages/s")
    print(f"total   {pages / total:7.1f} pages/s (one core)")


if __name__ == "__main__":
    main()
