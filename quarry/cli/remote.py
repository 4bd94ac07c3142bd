"""`quarry runs …` and `quarry schemas push`: a Quarry server driven from the shell.

Built on the Python client (`quarry_client`), so the command line and scripts share one HTTP
client. The server and key come from `--server`/`QUARRY_URL` and `--api-key`/`QUARRY_API_KEY`.
Ids and files go to stdout (for scripts), progress and messages to stderr.

Exit codes: 0 done (a run: every job completed), 1 a run ended with failed or cancelled jobs,
2 a bad argument or an error answer from the server, 130 interrupted (the run goes on).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quarry_client import Client, JobRun, QuarryError
from rich.console import Console

from quarry.cli.files import files_with_refs
from quarry.cli.run_progress import RunProgressBar, summary
from quarry.core.config import ClientSettings

Command = Callable[[Client, argparse.Namespace], int]


def run(args: argparse.Namespace) -> int:
    """Entry point of the remote command groups."""
    command = _command(args)
    console = _stderr()
    try:
        with _client(args) as client:
            return command(client, args)
    except QuarryError as exc:
        say(console, f"quarry: {exc}")
        return 2
    except (OSError, ValueError) as exc:
        say(console, f"quarry: {exc}")
        return 2
    except KeyboardInterrupt:
        say(console, "quarry: interrupted; the run goes on on the server")
        return 130


def _command(args: argparse.Namespace) -> Command:
    if args.command == "schemas":
        return push_schema
    commands: dict[str, Command] = {
        "create": create_run,
        "watch": watch_run,
        "results": download_results,
        "retry-failed": retry_failed,
    }
    return commands[args.runs_command]


def _client(args: argparse.Namespace) -> Client:
    settings = ClientSettings()
    key = args.api_key or (
        settings.quarry_api_key.get_secret_value() if settings.quarry_api_key else None
    )
    return Client(args.server or settings.quarry_url, api_key=key or None, timeout=120)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def say(console: Console, text: str) -> None:
    """A plain message on stderr: no markup, never wrapped (scripts grep these lines)."""
    console.print(text, markup=False, soft_wrap=True)


def create_run(client: Client, args: argparse.Namespace) -> int:
    if bool(args.paths) == bool(args.url_list):
        raise ValueError("give files or folders, or --url-list, not both (and not neither)")
    if args.url_list:
        created = client.runs.from_urls(
            read_url_list(args.url_list), schema_id=args.schema_id, callback_url=args.callback_url
        )
        run_id = created.job_run_id
    else:
        files = files_with_refs(args.paths)
        paths = [path for path, _ in files]
        refs = [ref for _, ref in files]
        run_id = client.runs.create(
            paths, schema_id=args.schema_id, external_refs=refs, callback_url=args.callback_url
        ).id
    print(run_id, flush=True)
    if not (args.wait or args.out):
        return 0
    return _finish(client, run_id, args.out)


def watch_run(client: Client, args: argparse.Namespace) -> int:
    return _finish(client, args.run_id, args.out)


def retry_failed(client: Client, args: argparse.Namespace) -> int:
    before = client.runs.get(args.run_id)
    after = client.runs.retry_failed(args.run_id)
    say(
        _stderr(),
        f"run {after.id}: {before.failed_jobs} failed job(s) queued again, now {after.status}",
    )
    if not (args.wait or args.out):
        return 0
    return _finish(client, after.id, args.out)


def download_results(client: Client, args: argparse.Namespace) -> int:
    if args.out is not None:
        path = client.runs.export(args.run_id, args.format, args.out, status=args.status)
        say(_stderr(), f"results saved to {path}")
        return 0
    for row in client.runs.results(args.run_id, status=args.status):
        print(json.dumps(row.raw, ensure_ascii=False), flush=True)
    return 0


def push_schema(client: Client, args: argparse.Namespace) -> int:
    body = schema_body(json.loads(args.schema_file.read_text()), args.name, args.schema_file)
    if args.schema_id:
        schema = client.schemas.update(args.schema_id, **body)
        verb = "updated"
    else:
        schema = client.schemas.create(**body)
        verb = "created"
    say(_stderr(), f"{verb} schema {schema.id} ({schema.name}, version {schema.version})")
    print(schema.id)
    return 0


def schema_body(raw: Any, name: str | None, path: Path) -> dict[str, Any]:
    """A schema file's content as `schemas.create` keywords: `{name, description?, fields,
    webhookEndpointIds?, engine?}` or a bare list of fields."""
    if isinstance(raw, list):
        raw = {"fields": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
        raise ValueError(f"{path}: expected a JSON object with 'fields', or a list of fields")
    body: dict[str, Any] = {
        "name": name or raw.get("name") or path.stem,
        "fields": raw["fields"],
        "description": raw.get("description"),
        "webhook_endpoint_ids": raw.get("webhookEndpointIds"),
        "engine": raw.get("engine"),
    }
    return {key: value for key, value in body.items() if value is not None}


def _finish(client: Client, run_id: str, out: Path | None) -> int:
    console = _stderr()
    with RunProgressBar(console) as bar:
        final = client.runs.wait(run_id, on_progress=bar.update)
    say(console, summary(final))
    if out is not None:
        path = client.runs.export(final.id, None, out)
        say(console, f"results saved to {path}")
    return exit_code(final)


def exit_code(run: JobRun) -> int:
    return 0 if run.status == "COMPLETED" and run.failed_jobs == 0 else 1


def read_url_list(path: Path) -> list[tuple[str, str | None]]:
    """`URL` or `URL REF` per line (whitespace or a tab between); blank and `#` lines skipped."""
    items: list[tuple[str, str | None]] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        url, _, ref = line.partition("\t") if "\t" in line else line.partition(" ")
        items.append((url.strip(), ref.strip() or None))
    if not items:
        raise ValueError(f"{path}: no URLs")
    return items
