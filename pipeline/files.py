"""Files a user names: how their paths are written down as text, and how they are opened.

Paths as text
    A Linux file name is bytes. One that is not UTF-8 (an Arabic name saved
    in cp1256 by a Windows scraper) reaches Python as a ``str`` holding lone
    surrogates (PEP 383): it opens the file, but SQLite, JSON files and a
    UTF-8 terminal all refuse it. :func:`path_text` is the one place a path
    becomes text: a UTF-8 name as it is, each byte that is not UTF-8 as
    ``\\xNN`` (as ``ls -b`` shows it), and control characters (a newline in
    a name would split a one-line message) as escapes too. The store, the
    messages, summary.json and the exports all name the file that way, so
    the name a message gives is the name the store holds.

Opening
    A FIFO named as an input blocks ``open()`` until something writes to it,
    and a device such as ``/dev/zero`` never ends. :func:`open_regular` opens
    without blocking (``O_NONBLOCK``), checks the type of what it opened (on
    the descriptor, so nothing can be swapped in between the check and the
    read) and refuses anything but a regular file; :func:`read_bounded`
    also refuses a file over a size limit instead of reading it.
"""

from __future__ import annotations

import os
import stat
from typing import IO

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: they would break a line.
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]} | {0x2028: "\\u2028", 0x2029: "\\u2029"}
_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def path_text(path: str | os.PathLike[str] | bytes) -> str:
    """`path` as text that any UTF-8 file, database or terminal takes (see the module docstring)."""
    raw = os.fsencode(path) if not isinstance(path, str) else _encoded(path)
    return raw.decode("utf-8", errors="backslashreplace").translate(_CONTROL)


def is_utf8_name(path: str | os.PathLike[str]) -> bool:
    """True when the path's bytes are UTF-8 (libraries that take a path as text can open it)."""
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _encoded(text: str) -> bytes:
    try:
        return text.encode("utf-8", errors="surrogateescape")  # the bytes of the name on disk
    except UnicodeEncodeError:  # a surrogate that is no escaped byte (from JSON, say): keep it visible
        return text.encode("utf-8", errors="backslashreplace")


def as_text(text: str) -> str:
    """A message that may hold a path: any escaped byte written as ``\\xNN`` (other characters kept)."""
    return _encoded(text).decode("utf-8", errors="backslashreplace")


class NotRegularFile(OSError):
    """The path names a folder, a FIFO, a device or a socket, not a file."""

    def __init__(self, kind: str):
        super().__init__(f"is {kind}, not a regular file")
        self.kind = kind


class FileTooLarge(OSError):
    """The file is larger than the caller reads."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"{size:,} bytes is over the limit of {limit:,} bytes")
        self.size, self.limit = size, limit


def file_kind(mode: int) -> str | None:
    """What a file of `mode` is when it is not a regular file ("a FIFO (named pipe)"), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _FILE_KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str]) -> IO[bytes]:
    """`path` opened for reading in binary, if it is a regular file (raises NotRegularFile, or OSError)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(kind)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """The whole of a regular file of at most `limit` bytes (raises NotRegularFile, FileTooLarge, or OSError)."""
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise FileTooLarge(size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew while we read it
        raise FileTooLarge(len(data), limit)
    return data
