"""A run's progress as a bar on stderr, fed by `runs.wait(on_progress=…)`."""

from __future__ import annotations

from types import TracebackType

from quarry_client import JobRun
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RunProgressBar:
    """`with RunProgressBar(console) as bar: client.runs.wait(id, on_progress=bar.update)`.

    Shows done/total jobs, the failed count, elapsed time and an ETA; prints nothing but the
    final line when stderr is not a terminal."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self._task: TaskID | None = None
        self.last: JobRun | None = None

    def __enter__(self) -> RunProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, run: JobRun) -> None:
        self.last = run
        failed = f"[red]{run.failed_jobs} failed[/]" if run.failed_jobs else ""
        if self._task is None:
            self._task = self._progress.add_task(run.id, total=run.total_jobs, failed=failed)
        self._progress.update(
            self._task,
            description=run.status,
            completed=run.done_jobs,
            total=run.total_jobs,
            failed=failed,
        )


def summary(run: JobRun) -> str:
    return (
        f"run {run.id} {run.status}: {run.completed_jobs} completed, {run.failed_jobs} failed, "
        f"{run.cancelled_jobs} cancelled of {run.total_jobs}"
    )
