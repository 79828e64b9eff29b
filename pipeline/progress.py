"""Progress reporting shared by the stages: rich bars on stderr, silent when quiet.

Stages take a :class:`Reporter` instead of printing, so the Python API stays
quiet by default and the CLI decides how much to show.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Task as RichTask
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second, e.g. '12.3 sentences/s' (rich has none for plain counts)."""

    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: RichTask) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} {self.unit}/s" if speed else f"- {self.unit}/s")


class Task:
    """A handle on one progress bar; `advance(n)` after each unit of work."""

    def __init__(self, progress: Progress | None, task_id: TaskID | None):
        self._progress, self._id = progress, task_id

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._id is not None:
            self._progress.advance(self._id, n)

    def set_total(self, total: int) -> None:
        if self._progress is not None and self._id is not None:
            self._progress.update(self._id, total=total)


class Reporter:
    """Messages and progress bars for long work; `quiet=True` shows only errors."""

    def __init__(self, quiet: bool = True, console: Console | None = None):
        self.quiet = quiet
        self.console = console or Console(stderr=True)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False, highlight=False)

    # soft_wrap: a warning or error is one line on stderr however long it is
    # (rich would otherwise wrap it at the console width), so scripts can grep
    # "error: FILE:LINE: reason" and count failed inputs line by line.
    def warn(self, message: str) -> None:
        self.console.print(f"warning: {message}", style="yellow", markup=False, highlight=False, soft_wrap=True)

    def error(self, message: str) -> None:
        self.console.print(f"error: {message}", style="red", markup=False, highlight=False, soft_wrap=True)

    @contextmanager
    def task(self, description: str, total: int | None, unit: str = "items") -> Iterator[Task]:
        """A progress bar with rate and ETA, e.g. ``unit="sentences"``."""
        if self.quiet or not self.console.is_terminal:
            yield Task(None, None)
            return
        columns = (
            TextColumn("{task.description}", markup=False),  # a file name is text, never markup
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            RateColumn(unit),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=False) as progress:
            yield Task(progress, progress.add_task(description, total=total))


QUIET = Reporter(quiet=True)
NO_TASK = Task(None, None)  # a bar nobody sees (work done where there is no terminal, e.g. in a worker)
