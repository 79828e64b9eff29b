"""Progress reporting shared by the stages: rich bars on stderr, silent when quiet.

Stages take a :class:`Reporter` instead of printing, so the Python API stays
quiet by default and the CLI decides how much to show.

Where the output goes matters: on a terminal rich lays text and tables out
to its width; into a pipe or a file (:func:`console_for`) no line is ever
wrapped and no line ends in padding (:func:`print_block`), because a log
keeps a message on one line and scripts read whole lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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

UNWRAPPED = 1_000_000  # the width of a console that is not a terminal: wide enough that nothing wraps


def console_for(stderr: bool = False) -> Console:
    """A console on stdout (or stderr): laid out to the terminal's width on a terminal, never wrapped elsewhere."""
    console = Console(stderr=stderr, highlight=False)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, highlight=False, width=UNWRAPPED, soft_wrap=True)


def print_block(console: Console, renderable: Any) -> None:
    """Print a table (or any renderable): as rich lays it out on a terminal; elsewhere without the padding that
    rich adds to the end of its lines."""
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


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
        self.console = console or console_for(stderr=True)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, markup=False, highlight=False, soft_wrap=True)

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
