"""Arguments of `quarry runs …` and `quarry schemas push` (the commands: `remote.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    """Add the `runs` and `schemas` command groups to the top-level subparsers."""
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--server", help="server URL (QUARRY_URL, default localhost:4000)")
    connection.add_argument("--api-key", help="API key, ef_live_… (QUARRY_API_KEY)")
    runs = commands.add_parser("runs", help="batch runs on a Quarry server")
    verbs = runs.add_subparsers(dest="runs_command", required=True, metavar="COMMAND")
    _create_parser(verbs, connection)
    watch = verbs.add_parser("watch", parents=[connection], help="follow a run until it ends")
    watch.add_argument("run_id")
    watch.add_argument("--out", type=Path, help="then save its results (.json/.jsonl/.csv/.xlsx)")
    results = verbs.add_parser("results", parents=[connection], help="download a run's results")
    results.add_argument("run_id")
    results.add_argument("--out", type=Path, help="file (.json/.jsonl/.csv/.xlsx); else stdout")
    results.add_argument("--format", choices=["json", "jsonl", "csv", "xlsx"])
    results.add_argument("--status", help="only jobs in this status (COMPLETED, FAILED, …)")
    retry = verbs.add_parser("retry-failed", parents=[connection], help="re-queue failed jobs")
    retry.add_argument("run_id")
    retry.add_argument("--wait", action="store_true", help="follow the run until it ends")
    retry.add_argument("--out", type=Path, help="then save its results")
    schemas = commands.add_parser("schemas", help="schemas on a Quarry server")
    schema_verbs = schemas.add_subparsers(dest="schemas_command", required=True, metavar="COMMAND")
    push = schema_verbs.add_parser(
        "push", parents=[connection], help="create (or with --id update) a schema from JSON"
    )
    push.add_argument("schema_file", type=Path, help="{name, description?, fields} or [fields]")
    push.add_argument("--id", dest="schema_id", help="update this schema instead")
    push.add_argument("--name", help="the schema's name (default: the JSON's, else file name)")


def _create_parser(verbs: Any, connection: argparse.ArgumentParser) -> None:
    create = verbs.add_parser(
        "create",
        parents=[connection],
        help="start a run from files and folders, or from a URL list",
        description="Upload files (folders recursively) or a list of URLs as one run. Each "
        "file's path relative to the folder given becomes its externalRef.",
    )
    create.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders")
    create.add_argument("--schema-id", required=True, help="the schema to extract with")
    create.add_argument("--url-list", type=Path, help="a file of URLs, one a line: URL [REF]")
    create.add_argument("--callback-url", help="gets the run's completion event")
    create.add_argument("--wait", action="store_true", help="follow the run until it ends")
    create.add_argument("--out", type=Path, help="wait, then save the results there")
