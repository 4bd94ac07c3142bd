"""`quarry` command line: serve, worker, db upgrade, extract, eval; runs and schemas on a
server. Argument parsing only."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from quarry import __version__
from quarry.cli.remote_parser import register as register_remote

DESCRIPTION = """Quarry turns documents (PDF, images, office files, e-mail, HTML) into JSON
that follows your schema: run it as a service, extract local files directly, or drive a
server from the shell."""

EPILOG = """examples:
  quarry serve                                   API and workers on http://127.0.0.1:4000
  quarry extract ./inbox --schema invoice.json --out results.xlsx
  quarry extract scan.pdf --schema invoice.json | jq .fields
  quarry schemas push invoice.json               on a server (QUARRY_URL, QUARRY_API_KEY)
  quarry runs create ./inbox --schema-id sch_… --wait --out results.xlsx

Run `quarry COMMAND --help` for a command's options."""

EXTRACT_EPILOG = """The output format follows the extension of --out: .jsonl, .json, .csv
or .xlsx, with the columns of the API's run export (jobId is the document's
path). Without --out, one JSON object per document goes to stdout. A progress
bar goes to stderr. Ctrl-C stops cleanly: every finished document is kept and
the file stays valid.

exit status: 0 all extracted, 1 some documents failed, 2 bad arguments, 130 interrupted

examples:
  quarry extract ./inbox --schema invoice.json --out results.csv
  quarry extract a.pdf b.png --schema invoice.json --engine openai > results.jsonl"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quarry",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"quarry {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API (and, by default, workers)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, HOST)")
    serve.add_argument("--port", type=int, help="port (default 4000, PORT)")
    serve.add_argument("--data-dir", type=Path, help="data folder (default ./quarry-data)")
    serve.add_argument("--no-workers", action="store_true", help="API only; run `quarry worker`")

    worker = commands.add_parser("worker", help="run a worker process")
    worker.add_argument(
        "--data-dir", type=Path, help="join the zero-setup service running on this data folder"
    )
    worker.add_argument("--concurrency", type=int, help="jobs at once (WORKER_CONCURRENCY)")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--data-dir", type=Path, help="the zero-setup data folder")

    _add_extract(commands)
    evaluate = commands.add_parser(
        "eval", help="extract an evaluation folder to one JSON file per document"
    )
    evaluate.add_argument("docs_dir", type=Path, help="the documents, or a folder with docs/")
    evaluate.add_argument(
        "--schema", type=Path, required=True, metavar="FILE", help="schema JSON file"
    )
    evaluate.add_argument("--out", type=Path, required=True, help="folder for <doc_id>.json")
    evaluate.add_argument("--engine", help="engine name (default EXTRACTION_ENGINE)")
    evaluate.add_argument("--jobs", type=int, default=2, help="documents at once (default 2)")
    register_remote(commands)
    return parser


def _add_extract(commands: Any) -> None:
    extract = commands.add_parser(
        "extract",
        help="extract local files to JSONL, JSON, CSV or XLSX (no server needed)",
        description="Extract documents with a schema, locally: no server, no database.",
        epilog=EXTRACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    extract.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files, or folders (searched recursively)",
    )
    extract.add_argument(
        "--schema",
        type=Path,
        required=True,
        metavar="FILE",
        help="schema JSON file ({fields: [...]} or a list)",
    )
    extract.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="output file: .jsonl, .json, .csv or .xlsx (default: stdout)",
    )
    extract.add_argument(
        "--engine", metavar="NAME", help="offline, openai or anthropic (default EXTRACTION_ENGINE)"
    )
    extract.add_argument(
        "--jobs", type=int, default=2, metavar="N", help="documents at once (default 2)"
    )


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = {
        "host": "host",
        "port": "port",
        "data_dir": "QUARRY_DATA_DIR",
        "concurrency": "worker_concurrency",
    }
    values = {key: getattr(args, attr, None) for attr, key in names.items()}
    if getattr(args, "no_workers", False):
        values["workers_in_server"] = False
    return {key: value for key, value in values.items() if value is not None}


def _standalone(args: argparse.Namespace) -> int | None:
    """Commands that need no settings of the service: local files, or a client of a server."""
    if args.command == "eval":  # no database, no data folder: settings read in `run`
        from quarry.cli.eval import run

        return run(args)
    if args.command == "extract":
        from quarry.cli.extract import run as extract

        return extract(args)
    if args.command in ("runs", "schemas"):
        from quarry.cli import remote

        return remote.run(args)
    return None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    standalone = _standalone(args)
    if standalone is not None:
        return standalone
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for chatty in ("procrastinate", "alembic"):  # a line per periodic task or migration plug-in
        logging.getLogger(chatty).setLevel(logging.WARNING)
    from quarry.core.config import load_settings

    try:
        settings = load_settings(**_overrides(args))
    except ValueError as exc:
        print(f"quarry: {exc}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from quarry.cli.serve import serve

        return serve(settings)
    if args.command == "worker":
        from quarry.cli.worker import worker

        return asyncio.run(worker(settings))
    from quarry.cli.db import upgrade

    return upgrade(settings)


if __name__ == "__main__":
    sys.exit(main())
