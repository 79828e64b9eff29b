"""The output folder: validated names and atomic writes.

Why: exports are read by other tools while a run may crash or be killed, so a
file is either the previous complete version or the new complete version,
never half of one (temp file in the same folder, fsync, ``os.replace``). Names
are fixed by the exporters, but they are still checked so a bad name or a
planted symlink can never make us write outside the folder the user chose.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from pipeline.errors import StorageError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class OutputDir:
    """A folder the exporters write into; every write goes through :meth:`write`.

    The folder the user names may itself be a symlink (an output folder on
    another disk); the folders the exporters make inside it (:meth:`folder`)
    may not, so writing a page or removing a stale one never lands outside it.
    """

    def __init__(self, path: str | Path, *, root: Path | None = None):
        self.path = Path(path)
        try:
            # os.stat, not Path.exists(): that raises past ENOENT (a name too long, a folder on the way not searchable)
            if not stat.S_ISDIR(os.stat(self.path).st_mode):
                raise StorageError(f"{self.path}: the output path exists and is not a folder")
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot use this output folder: {exc.strerror or exc}") from None
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{self.path}: cannot create the output folder: {exc.strerror or exc}") from exc
        self.root = root if root is not None else self.path.resolve()
        self._check_writable()

    def folder(self, name: str) -> OutputDir:
        """Sub-folder `name` (created if missing), refused when it is a symlink or anything but a real folder.

        A planted link (``out/report -> /elsewhere``) would make every page
        written there, and every stale page removed there, land outside the
        output folder: it is refused (exit 6), never followed.
        """
        self._check_name(name)
        path = self.path / name
        if path.is_symlink():
            raise StorageError(
                f"{path}: is a symlink to {path.resolve()}, not a folder inside the output folder {self.root}; "
                "remove it to export here"
            )
        if path.exists() and not path.is_dir():
            raise StorageError(f"{path}: exists and is not a folder")
        child = OutputDir(path, root=self.root)
        if not child.path.resolve().is_relative_to(self.root):  # a link swapped in meanwhile, or in a parent
            raise StorageError(f"{path}: resolves to {child.path.resolve()}, outside the output folder {self.root}")
        return child

    def _check_writable(self) -> None:
        """Fail before any work if the folder cannot take a file (read-only, no permission).

        A probe file is more honest than os.access, which checks the real uid
        and ignores read-only mounts.
        """
        try:
            fd, probe = tempfile.mkstemp(dir=self.path, prefix=".write-probe-")
        except OSError as exc:
            raise StorageError(_write_error(self.path, exc)) from exc
        os.close(fd)
        os.unlink(probe)

    def target(self, name: str) -> Path:
        """The path for output file `name`, refused if it could land outside the folder."""
        self._check_name(name)
        path = self.path / name
        if path.is_symlink():
            real = path.resolve()
            if not real.is_relative_to(self.root):
                raise StorageError(
                    f"{path}: is a symlink to {real}, outside the output folder {self.root}; remove it to export here"
                )
        elif path.exists() and not path.is_file():
            raise StorageError(f"{path}: exists and is not a regular file")
        return path

    def _check_name(self, name: str) -> None:
        if not _SAFE_NAME.fullmatch(name) or name in {".", ".."}:
            raise StorageError(f"{self.path}: refusing output file name {name!r}: only plain file names are allowed")

    @contextmanager
    def open(self, name: str, newline: str | None = None, encoding: str = "utf-8", durable: bool = True) -> Iterator[IO[str]]:
        """Write text to `name` atomically: the file appears complete or not at all.

        `durable=False` skips the fsync: still atomic for readers, but a power
        cut may lose the file. For the many small files of the report's folder,
        which one export rewrites whole (an fsync each would cost more than
        writing them).
        """
        path = self.target(name)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
        except OSError as exc:
            raise StorageError(_write_error(self.path, exc)) from exc
        try:
            with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
                yield handle
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
            # os.replace swaps the directory entry: a symlink at `path` is
            # replaced by the new file, its target is never written through.
            os.replace(tmp, path)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise StorageError(_write_error(path, exc)) from exc
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def write_text(self, name: str, text: str, newline: str | None = None, encoding: str = "utf-8", durable: bool = True) -> Path:
        with self.open(name, newline=newline, encoding=encoding, durable=durable) as handle:
            handle.write(text)
        return self.path / name

    def write_with(self, name: str, fill: Callable[[IO[str]], None], newline: str | None = None, encoding: str = "utf-8") -> Path:
        with self.open(name, newline=newline, encoding=encoding) as handle:
            fill(handle)
        return self.path / name


def _write_error(where: Path, exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}: the output folder is not writable ({exc.strerror}); choose another with --out"
    if exc.errno == errno.ENOSPC:
        return f"{where}: the disk is full; the previous version of the file, if any, is unchanged"
    return f"{where}: cannot write: {exc.strerror or exc}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _unlink_quietly(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)
