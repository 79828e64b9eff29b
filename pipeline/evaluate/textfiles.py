"""Reading hypothesis and reference files: one segment a line, strict UTF-8.

Scores over misread input are worse than no scores, so every problem stops
the evaluation with a message naming the file (and the line, or the byte
offset for bad encoding) before anything is computed: files of different
lengths, an empty reference line, a file that is not UTF-8, a missing file.
An empty *hypothesis* line is allowed (a system may legitimately output
nothing) but is counted and reported. Only regular files of at most
``MAX_FILE_MB`` are read: a FIFO or a device (``/dev/zero``) is refused by
its type before anything is read from it, so nothing waits or reads forever.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import ConfigError, InputError
from pipeline.files import FileTooLarge, NotRegularFile, read_bounded

MAX_FILE_MB = 256  # a test set of a million segments is ~150 MB; more is not one, and is read whole


def read_segments(path: Path, role: str) -> list[str]:
    """Lines of `path` without line endings or trailing blanks (as sacreBLEU's CLI reads them).

    Only "\\n" (and "\\r\\n") end a line: Unicode separators such as U+2028
    that `str.splitlines` would also split on stay inside the segment, so
    line i of a hypothesis always meets line i of the reference.
    """
    try:
        data = read_bounded(path, MAX_FILE_MB << 20)
    except FileNotFoundError:
        raise InputError(str(path), f"{role} file not found") from None
    except NotRegularFile as exc:
        raise InputError(str(path), f"the {role} path {exc}") from None
    except FileTooLarge as exc:
        raise InputError(
            str(path), f"{role} file is {exc.size / 1048576:.0f} MB, over {MAX_FILE_MB} MB: not a test set"
        ) from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read the {role} file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data[:offset].count(b"\n") + 1
        raise InputError(
            str(path),
            f"{role} file is not UTF-8: byte 0x{data[offset]:02x} at byte offset {offset}; "
            "convert it first (e.g. iconv -f cp1256 -t utf-8)",
            line,
        ) from None
    if not text:
        raise InputError(str(path), f"{role} file is empty")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start a new one
    return [line.rstrip() for line in lines]


def check_references(path: Path, lines: list[str]) -> None:
    """An empty reference line is an error: it would score every hypothesis as wrong there."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            others = sum(1 for x in lines[number:] if not x.strip())
            more = f" (and {others} more)" if others else ""
            raise InputError(str(path), f"empty reference line{more}; every reference segment needs text", number)


def check_same_length(ref_path: Path, n_ref: int, path: Path, n: int, role: str) -> None:
    if n != n_ref:
        first_unpaired = min(n, n_ref) + 1
        raise InputError(
            str(path),
            f"{role} has {n} lines but the reference {ref_path} has {n_ref}; line {first_unpaired} has no partner",
            first_unpaired,
        )


def empty_lines(lines: list[str]) -> list[int]:
    """1-based numbers of empty lines (reported, not rejected, for hypotheses)."""
    return [i for i, line in enumerate(lines, start=1) if not line.strip()]


def parse_hyp_spec(spec: str) -> tuple[str, Path]:
    """'NAME=FILE' → (NAME, FILE); a bare 'FILE' is named after the file."""
    name, sep, file = spec.partition("=")
    if not sep:
        return Path(spec).name, Path(spec)
    if not name.strip() or not file.strip():
        raise ConfigError(f"--hyp {spec!r}: expected NAME=FILE")
    return name.strip(), Path(file.strip())


def parse_hyp_specs(specs: list[str]) -> dict[str, Path]:
    systems: dict[str, Path] = {}
    for spec in specs:
        name, path = parse_hyp_spec(spec)
        if name in systems:
            raise ConfigError(f"--hyp: system name {name!r} given twice; name each system differently (NAME=FILE)")
        systems[name] = path
    return systems
