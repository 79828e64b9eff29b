"""One line of a JSONL file a user gave, read as JSON that is also text, or refused naming the line.

``json.loads`` accepts what no later step can hold: ``"\\ud800"`` (a lone
surrogate, valid JSON but not Unicode text: SQLite, a JSON export and the
model all fail on it), nesting deep enough to exhaust the recursion limit,
and integers with more digits than Python converts. Each becomes one
:class:`~pipeline.errors.InputError` with the file and line number here, so
every verb that reads JSON lines (align --source/--target, evaluate
--import-refs) says the same thing about the same line. Ingest reads its
JSONL through its own reader, which keeps the good lines of a file and
checks each field it maps (pipeline/ingest/readers.py).

A field both ingest and ``align --source`` read is parsed once, here
(:func:`translation_field`, :func:`system_field`), so a file one of them
takes the other takes too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.errors import InputError


def json_line(path: Path, number: int, line: str) -> Any:
    """The JSON value of line `number` of `path`, or an InputError saying why the line is not one."""
    try:
        value = json.loads(line)
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # a lone surrogate ("\\ud800") is valid JSON, not text
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON: {exc.msg} (column {exc.colno})", number) from None
    except RecursionError:
        raise InputError(str(path), "JSON nested too deeply to read", number) from None
    except UnicodeEncodeError:
        raise InputError(
            str(path), "a string holds a lone surrogate (an escape such as \\ud800), which is not text", number
        ) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python reads
        raise InputError(str(path), f"not valid JSON: {exc}", number) from None
    return value


def translation_field(value: Any) -> str | list[str] | None:
    """A piece's `translation` given as text or as paragraphs (a list of strings); None when absent or empty.

    Raises ValueError for any other value (the caller names the file and line).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        parts = [part.strip() for part in value if part.strip()]
        return parts or None
    raise ValueError("'translation' must be a string or a list of strings (one per paragraph)")


def translation_text(translation: str | list[str]) -> str:
    """A translation as one text: paragraphs separated by a blank line, as pieces.jsonl writes them."""
    return translation if isinstance(translation, str) else "\n\n".join(translation)


def system_field(obj: dict[str, Any]) -> str | None:
    """Who made a piece's translation: its `model`, else its `system` field; None when neither names one."""
    for key in ("model", "system"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None
