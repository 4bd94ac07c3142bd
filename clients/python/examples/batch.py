"""A batch run from start to finish with the Quarry Python client.

    pip install ./clients/python
    QUARRY_URL=http://localhost:4000 QUARRY_API_KEY=ef_live_... \\
        python clients/python/examples/batch.py invoice1.pdf invoice2.pdf

Creates a schema, uploads the files as one run (each file's name as its externalRef), follows
the run's progress, prints every result, corrects one value as a reviewer would, and saves
the results as a spreadsheet.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from quarry_client import Client, JobRun, QuarryError

FIELDS: list[dict[str, object]] = [
    {"name": "vendor", "type": "text", "required": True, "description": "Seller's name"},
    {"name": "invoice_number", "type": "text", "description": "Invoice number"},
    {"name": "date", "type": "date", "description": "Invoice date"},
    {"name": "total", "type": "number", "description": "Grand total including tax"},
    {"name": "currency", "type": "text", "description": "ISO 4217 code"},
]


def show(run: JobRun) -> None:
    print(f"  {run.status:<10} {run.done_jobs}/{run.total_jobs} done, {run.failed_jobs} failed")


def main(paths: list[Path]) -> int:
    url = os.environ.get("QUARRY_URL", "http://localhost:4000")
    with Client(url, api_key=os.environ["QUARRY_API_KEY"]) as quarry:
        schema = quarry.schemas.create(name="Invoice (example)", fields=FIELDS)
        print(f"schema {schema.id} version {schema.version}")

        run = quarry.runs.create(paths, schema_id=schema.id, external_refs=[p.name for p in paths])
        print(f"run {run.id}: {run.total_jobs} files")
        run = quarry.runs.wait(run.id, timeout=600, on_progress=show)

        for row in quarry.runs.results(run.id):
            if row.fields is None:
                print(f"{row.external_ref}: {row.status} {row.error_code}")
                continue
            total = row.field_details.get("total")
            where = f" (page {total.page}, confidence {total.confidence:.2f})" if total else ""
            print(f"{row.external_ref}: {row.fields}{where}")

        first = next(iter(quarry.runs.results(run.id, status="COMPLETED")), None)
        if first is not None:
            fixed = quarry.jobs.correct(first.job_id, {"currency": "EUR"})
            print(f"corrected {first.job_id}: currency={fixed.fields['currency']}")

        saved = quarry.runs.export(run.id, "xlsx", Path("results.xlsx"))
        print(f"saved {saved}")
        return 0 if run.failed_jobs == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main([Path(p) for p in sys.argv[1:]]))
    except QuarryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
