"""Progress reporting shared by the stages: rich bars on stderr, silent when quiet.

Stages take a :class:`Reporter` instead of printing, so the Python API stays
quiet by default and the CLI decides how much to show.

Everything the pipeline prints goes through a :class:`TerminalConsole`
(:func:`terminal_console`), and where the output goes matters twice over:

* titles, system names and file names come from scraped data, and a control
  character in them (``ESC]0;…BEL`` sets the window title, ``ESC[2J`` clears
  the screen, a C1 ``CSI`` does as much on some terminals) must be shown, not
  obeyed. The console escapes them in every segment it renders, whichever
  verb, table or message holds the text, as ``\\xNN``;
* on a terminal rich lays text and tables out to its width; into a pipe or a
  file no line is ever wrapped and no line ends in padding
  (:func:`print_block`), because a log keeps a message on one line and
  scripts read whole lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
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
from rich.segment import Segment
from rich.text import Text

UNWRAPPED = 1_000_000  # the width of a console that is not a terminal: wide enough that nothing wraps

# C0 controls but newline and tab (which lay text out), DEL, and the C1 controls (U+0080-U+009F).
_TERMINAL_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if c not in (0x09, 0x0A)}
_JSON_CONTROLS = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}


def terminal_text(text: str) -> str:
    """`text` as a terminal may show it: every control character written as ``\\xNN``, never sent raw."""
    return text.translate(_TERMINAL_CONTROLS)


def terminal_json(text: str) -> str:
    """JSON text for stdout: DEL and the C1 controls, which JSON allows raw in strings, as ``\\u00NN`` (the same JSON)."""
    return text.translate(_JSON_CONTROLS)


class TerminalConsole(Console):
    """A rich Console whose output never carries a control character from the text it renders.

    Rich's own control sequences (colours, cursor moves of a progress bar)
    travel as control segments or styles, which are kept; the text of every
    other segment is passed through :func:`terminal_text`.
    """

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and not segment.text.isprintable() and segment.text != "\n":
                yield Segment(terminal_text(segment.text), segment.style, segment.control)
            else:
                yield segment


def terminal_console(stderr: bool = False) -> Console:
    """The console every verb prints through (stdout; `stderr=True` for messages and bars): control characters in
    the text escaped; laid out to the terminal's width on a terminal, never wrapped elsewhere."""
    console = TerminalConsole(stderr=stderr, highlight=False)
    if console.is_terminal:
        return console
    return TerminalConsole(stderr=stderr, highlight=False, width=UNWRAPPED, soft_wrap=True)


def print_block(console: Console, renderable: Any) -> None:
    """Print a table (or any renderable): as rich lays it out on a terminal; elsewhere without the padding that
    rich adds to the end of its lines (the text rendered through `console`, so a TerminalConsole escapes it)."""
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
        self.console = console or terminal_console(stderr=True)

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
