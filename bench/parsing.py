"""Parsing speed and memory on one core: text-layer PDFs, and OCR per engine.

    .venv/bin/python bench/parsing.py [--rounds 5] [--ocr-docs 6] [--rapidocr-docs 2]

Uses the public documents in ../shared/data/public/docs (skips with a message when absent).
Each section runs in a fresh forked process pinned to one CPU, so its peak RSS is its own:

* text-layer PDFs through parse + the offline engine (the invoice schema), pages/second, with
  OCR of images inside PDF pages off (the default) and on;
* OCR of images (receipt photos and invoice renditions), seconds per page, for Tesseract and
  for rapidocr (fewer documents: it is several times slower).

Prints numbers only; not a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quarry.engines.runner import extract_in_process  # noqa: E402
from quarry.parsing import parse  # noqa: E402
from quarry.parsing.options import OcrOptions  # noqa: E402

SHARED_DOCS = ROOT.parent / "shared" / "data" / "public" / "docs"
SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "invoice-schema.json").read_text())
MIME = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}

Result = dict[str, Any]


def text_pdfs(docs: list[Path], rounds: int, ocr: OcrOptions) -> Result:
    pages = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for path in docs:
            result = extract_in_process(
                path,
                mime_type=MIME[path.suffix],
                file_name=path.name,
                fields=SCHEMA["fields"],
                engine="offline",
                max_pages=200,
                ocr=ocr,
            )
            pages += result.pages or 0
    seconds = time.perf_counter() - started
    return {"pages": pages, "seconds": seconds, "pages_per_second": pages / seconds}


def ocr_images(docs: list[Path], ocr: OcrOptions) -> Result:
    timings = []
    for path in docs:
        started = time.perf_counter()
        document = parse(path, MIME[path.suffix], max_pages=5, ocr=ocr)
        timings.append((time.perf_counter() - started) / len(document.pages))
    return {
        "pages": len(timings),
        "seconds_per_page": sum(timings) / len(timings),
        "slowest_page": max(timings),
    }


def _section(work: Callable[[], Result], queue: Any) -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    result = work()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["peak_child_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    queue.put(result)


def run(name: str, work: Callable[[], Result]) -> None:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_section, args=(work, queue))
    process.start()
    result = queue.get()
    process.join()
    shown = ", ".join(
        f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}"
        for key, value in result.items()
    )
    print(f"{name:<34} {shown}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ocr-docs", type=int, default=6)
    parser.add_argument("--rapidocr-docs", type=int, default=2)
    parser.add_argument("--source", type=Path, default=SHARED_DOCS)
    args = parser.parse_args()
    if not args.source.is_dir():
        print(f"{args.source} is absent: nothing to measure")
        return
    pdfs = sorted(args.source.glob("*.pdf"))
    photos = sorted(args.source.glob("sroie-*.jpg"))
    renditions = sorted(args.source.glob("*.png"))
    images = [*renditions[:2], *photos][: args.ocr_docs]
    print(f"{len(pdfs)} PDFs x {args.rounds} rounds; OCR on {len(images)} images; one core")
    run("text PDFs (default)", lambda: text_pdfs(pdfs, args.rounds, OcrOptions()))
    images_too = OcrOptions(pdf_images=True)
    run("text PDFs (OCR_PDF_IMAGES=true)", lambda: text_pdfs(pdfs, args.rounds, images_too))
    run("OCR tesseract", lambda: ocr_images(images, OcrOptions(engine="tesseract")))
    few = [*renditions[:1], *photos][: args.rapidocr_docs]
    run("OCR rapidocr", lambda: ocr_images(few, OcrOptions(engine="rapidocr")))


if __name__ == "__main__":
    main()
