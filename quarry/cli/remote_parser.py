"""Arguments of `quarry runs …` and `quarry schemas push` (the commands: `remote.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

RUNS_EPILOG = """The server and key come from --server / QUARRY_URL (default
http://localhost:4000) and --api-key / QUARRY_API_KEY. Run ids go to stdout,
progress and messages to stderr.

exit status: 0 done (a run: all jobs completed), 1 a run ended with failed or
cancelled jobs, 2 bad arguments or an error from the server, 130 interrupted
(the run goes on on the server)

examples:
  quarry runs create ./inbox --schema-id sch_… --wait --out results.xlsx
  quarry runs create --url-list urls.txt --schema-id sch_…
  quarry runs watch run_…
  quarry runs results run_… --out results.csv
  quarry runs retry-failed run_… --wait"""

SCHEMAS_EPILOG = """examples:
  quarry schemas push invoice.json               prints the new schema's id
  quarry schemas push invoice.json --id sch_…    a new version of that schema"""

RESULT_FILE = "file: .json, .jsonl, .csv or .xlsx"


def register(commands: Any) -> None:
    """Add the `runs` and `schemas` command groups to the top-level subparsers."""
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--server", metavar="URL", help="the server (QUARRY_URL)")
    connection.add_argument("--api-key", metavar="KEY", help="an API key (QUARRY_API_KEY)")
    runs = commands.add_parser(
        "runs",
        help="runs on a server: create, watch, results, retry-failed",
        description="Batch runs on a Quarry server.",
        epilog=RUNS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = runs.add_subparsers(dest="runs_command", required=True, metavar="COMMAND")
    _create_parser(verbs, connection)
    _run_parsers(verbs, connection)
    _schema_parsers(commands, connection)


def _create_parser(verbs: Any, connection: argparse.ArgumentParser) -> None:
    create = verbs.add_parser(
        "create",
        parents=[connection],
        help="start a run from files and folders, or from a URL list",
        description="Upload files (folders recursively, hidden files skipped) or a list of "
        "URLs as one run. Each file's path relative to the folder given becomes its "
        "externalRef.",
    )
    create.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders")
    create.add_argument("--schema-id", required=True, metavar="ID", help="the schema to use")
    create.add_argument(
        "--url-list", type=Path, metavar="FILE", help="URLs, one a line: URL [externalRef]"
    )
    create.add_argument("--callback-url", metavar="URL", help="gets the run's completion event")
    create.add_argument("--wait", action="store_true", help="follow the run until it ends")
    create.add_argument("--out", type=Path, metavar="FILE", help="wait, then save the results")


def _run_parsers(verbs: Any, connection: argparse.ArgumentParser) -> None:
    watch = verbs.add_parser(
        "watch", parents=[connection], help="follow a run with a progress bar until it ends"
    )
    watch.add_argument("run_id", metavar="RUN_ID")
    watch.add_argument("--out", type=Path, metavar="FILE", help="then save the results")
    results = verbs.add_parser("results", parents=[connection], help="download a run's results")
    results.add_argument("run_id", metavar="RUN_ID")
    results.add_argument("--out", type=Path, metavar="FILE", help=RESULT_FILE + "; else stdout")
    results.add_argument("--format", choices=["json", "jsonl", "csv", "xlsx"])
    results.add_argument(
        "--status", help="only jobs in these statuses, comma-separated (e.g. FAILED)"
    )
    retry = verbs.add_parser(
        "retry-failed", parents=[connection], help="queue a finished run's failed jobs again"
    )
    retry.add_argument("run_id", metavar="RUN_ID")
    retry.add_argument("--wait", action="store_true", help="follow the run until it ends")
    retry.add_argument("--out", type=Path, metavar="FILE", help="wait, then save the results")


def _schema_parsers(commands: Any, connection: argparse.ArgumentParser) -> None:
    schemas = commands.add_parser(
        "schemas",
        help="schemas on a server: push",
        epilog=SCHEMAS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = schemas.add_subparsers(dest="schemas_command", required=True, metavar="COMMAND")
    push = verbs.add_parser(
        "push", parents=[connection], help="create (or with --id update) a schema from JSON"
    )
    push.add_argument(
        "schema_file", type=Path, metavar="FILE", help="{name, description?, fields} or [fields]"
    )
    push.add_argument("--id", dest="schema_id", metavar="ID", help="update this schema instead")
    push.add_argument("--name", help="the schema's name (default: the file's, else its stem)")
