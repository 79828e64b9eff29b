"""Exceptions and the process exit codes they map to.

Exit codes are part of the CLI contract: scripts branch on them.
"""

from __future__ import annotations

from pipeline.files import as_text, path_text

EXIT_OK = 0
EXIT_FAILURE = 1  # unexpected error
EXIT_USAGE = 2  # bad command line (typer's own code)
EXIT_INPUT_ERRORS = 3  # some inputs could not be ingested; the others were
EXIT_MODEL_UNAVAILABLE = 4  # no model could be loaded; Arabic pieces are pending
EXIT_BUSY = 5  # another run holds the store
EXIT_STORAGE = 6  # the store or the output folder cannot be written


class PipelineError(Exception):
    """Base class: a message meant for the user, and the exit code to use.

    The message is text any terminal, JSON file or database takes: a path
    in it whose name is not UTF-8 shows its odd bytes as ``\\xNN``.
    """

    exit_code = EXIT_FAILURE

    def __init__(self, *args: object):
        super().__init__(*(as_text(a) if isinstance(a, str) else a for a in args))


class ConfigError(PipelineError):
    exit_code = EXIT_USAGE


class UsageError(PipelineError):
    """The command has nothing to work on as given: no store at the path, nothing to score (exit 2, like a bad option)."""

    exit_code = EXIT_USAGE


class InputError(PipelineError):
    """One input file could not be read; names the file and the reason."""

    exit_code = EXIT_INPUT_ERRORS

    def __init__(self, path: str, reason: str, line: int | None = None):
        self.path, self.reason, self.line = path_text(path), as_text(reason), line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class ModelUnavailable(PipelineError):
    """No translation model could be loaded: `reason` says why, the message adds how to fix it."""

    exit_code = EXIT_MODEL_UNAVAILABLE

    def __init__(self, reason: str, hint: str = ""):
        self.reason = as_text(reason)
        super().__init__(f"{reason}. {hint}" if hint else reason)


class StoreBusy(PipelineError):
    exit_code = EXIT_BUSY


class StorageError(PipelineError):
    exit_code = EXIT_STORAGE
