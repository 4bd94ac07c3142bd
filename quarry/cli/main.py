"""`quarry` command line: serve, worker, db upgrade, eval; runs and schemas on a server.
Argument parsing only."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from quarry import __version__
from quarry.cli.remote_parser import register as register_remote


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quarry", description="Quarry document extraction")
    parser.add_argument("--version", action="version", version=f"quarry {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

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

    evaluate = commands.add_parser("eval", help="extract a folder of documents to JSON files")
    evaluate.add_argument("docs_dir", type=Path, help="the documents, or a folder with docs/")
    evaluate.add_argument("--schema", type=Path, required=True, help="schema JSON file")
    evaluate.add_argument("--out", type=Path, required=True, help="folder for <doc_id>.json")
    evaluate.add_argument("--engine", help="engine name (default EXTRACTION_ENGINE)")
    evaluate.add_argument("--jobs", type=int, default=2, help="documents at once (default 2)")
    register_remote(commands)
    return parser


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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "eval":  # no database, no data folder: settings read in `run`
        from quarry.cli.eval import run

        return run(args)
    if args.command in ("runs", "schemas"):  # a client of a server: no settings of our own
        from quarry.cli import remote

        return remote.run(args)
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
