"""Reading input files: finding them, checking them, decoding them, and turning them into documents.

A file is read twice, both times as a stream, so a 200 MB dump never sits in
memory as bytes *and* text:

1. :func:`probe` hashes the file (the sources table keys on path + SHA-256),
   decompresses ``.gz`` (a truncated one fails here, before anything is
   stored), enforces ``max_file_mb`` and a cheap line-length bound, rejects
   binary files (NUL bytes, known magic numbers), and decides the encoding:
   a byte-order mark first (UTF-8, UTF-16 LE/BE), then strict UTF-8 over the
   whole file, then the charset an HTML page declares in ``<meta charset>``,
   then Windows Arabic (cp1256) when its decoding is Arabic
   prose, then charset-normalizer, and finally cp1252 for English text with
   a few stray Windows quotes. Nothing is assumed: a file no candidate
   decodes is an error naming the first bad byte.
2. :func:`iter_source` decodes the stream line by line and yields
   :class:`RawDocument` objects: one per text dump or HTML page (to be cut
   into pieces), one per JSONL line (already a piece). A line longer than
   ``max_line_chars`` fails the file with a clear message instead of being
   held in memory: a 50 MB single-line file is not a news dump.

Every problem is an :class:`~pipeline.errors.InputError` naming the file (and
the line when there is one) and the reason in one line. A FIFO, a device or
a socket is refused by its type before anything reads from it (opening a
FIFO would wait for a writer forever); a file whose name is not UTF-8 is
read like any other and named as :func:`pipeline.files.path_text` writes it.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import hashlib
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, cast

from pipeline.errors import InputError
from pipeline.files import NotRegularFile, file_kind, open_regular
from pipeline.ingest.lines import split_lines
from pipeline.ingest.script import arabic_share
from pipeline.ingest.settings import IngestSettings
from pipeline.jsonlines import system_field, translation_field
from pipeline.text.dates import parse_date
from pipeline.text.mojibake import is_arabic_mojibake, reads_as_arabic_prose
from pipeline.text.mojibake import repair as repair_mojibake

Kind = Literal["text", "html", "jsonl"]

CHUNK = 1 << 20
SNIFF_BYTES = 1 << 16
_MAGIC = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or Office document)",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x7fELF": "an executable",
    b"SQLite format 3": "an SQLite database",
    b"\x1f\x8b": "a gzip stream inside a gzip file",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_KIND_BY_SUFFIX: dict[str, Kind] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".dump": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


@dataclass
class RawDocument:
    """Text read from an input, before it is cut into pieces.

    ``segment`` is True for dumps and pages (to be cut into pieces) and
    False for a JSONL line, which is one piece already. For an HTML page,
    ``text`` is the page's markup (:mod:`pipeline.ingest.html` reads it).
    The other fields are the hints a JSONL line gave.
    """

    source: str
    kind: Kind
    encoding: str
    segment: bool = True
    line: int | None = None
    title: str | None = None
    date: str | None = None
    author: str | None = None
    outlet: str | None = None
    lang: str | None = None
    input_id: str | None = None  # the line's own id ('id')
    translation: str | list[str] | None = None  # a translation that came with it: text, or one string per paragraph
    model: str | None = None  # the system that made the translation
    _text: str | None = field(default=None, repr=False)
    _open_lines: Callable[[], Iterator[str]] | None = field(default=None, repr=False)

    def lines(self) -> Iterator[str]:
        """The document's lines, streamed from the file when it is a large dump."""
        if self._open_lines is not None:
            return self._open_lines()
        return split_lines(self._text or "")

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "\n".join(self.lines())
        return self._text


@dataclass
class Probe:
    """What the first pass learned about a file."""

    path: Path
    size: int  # bytes on disk
    sha256: str
    compressed: bool
    encoding: str
    kind: Kind
    text_bytes: int  # bytes after decompression
    newlines: int
    note: str | None = None  # what the user should know about how it was read (a declared charset overruled)
    repair: bool = False  # UTF-8 text holding Arabic mojibake: each line is repaired as it is read (text/mojibake.py)


# -- finding files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    """A folder or file left out of the walk on purpose, and why (the pipeline's own output or store)."""

    path: Path
    reason: str


Found = Path | InputError | Skipped


def discover(
    paths: Iterable[Path | str], settings: IngestSettings, skip: dict[tuple[int, int], str] | None = None
) -> Iterator[Found]:
    """Files to ingest, in the order given; directories walked recursively in sorted order.

    Yields an InputError (and goes on) for a missing path, a broken link, a
    symlink loop, an unreadable directory, or a FIFO, device or socket with
    a wanted name inside a folder. Inside directories, only files
    with one of ``settings.extensions`` (optionally + ``.gz``) are taken, and
    hidden files are skipped when ``skip_hidden``. A file reached twice (two
    links to it) is yielded once.

    `skip` maps (device, inode) of folders and files that are never read as
    input to the reason (the run's output folder, the store's own files);
    any folder holding the pipeline's summary.json (an output folder of an
    earlier run) is left out too. Each is yielded as :class:`Skipped`.
    """
    skip = skip or {}
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        path = Path(raw)
        try:
            st = path.stat()
        except OSError as exc:
            yield InputError(str(path), _os_reason(exc, path))
            continue
        key = (st.st_dev, st.st_ino)
        if key in skip:
            yield Skipped(path, skip[key])
        elif stat.S_ISDIR(st.st_mode):
            yield from _walk(path, settings, {key}, seen, skip)
        elif key not in seen:
            seen.add(key)
            yield path


def _walk(
    directory: Path,
    settings: IngestSettings,
    ancestors: set[tuple[int, int]],
    seen: set[tuple[int, int]],
    skip: dict[tuple[int, int], str],
) -> Iterator[Found]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        yield InputError(str(directory), f"cannot list directory: {exc.strerror or exc}")
        return
    if any(entry.name == SUMMARY_FILE and _is_pipeline_summary(entry.path) for entry in entries):
        yield Skipped(directory, "an output folder of this pipeline (it holds its summary.json): not read as input")
        return
    for entry in entries:
        if settings.skip_hidden and entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_symlink() and not settings.follow_symlinks:
            continue
        try:
            st = os.stat(entry.path)
        except OSError as exc:
            yield InputError(str(path), _os_reason(exc, path))
            continue
        key = (st.st_dev, st.st_ino)
        is_dir = stat.S_ISDIR(st.st_mode)
        if not is_dir and not _wanted(entry.name, settings):
            continue
        if key in skip:
            yield Skipped(path, skip[key])
        elif is_dir:
            if key in ancestors:
                yield InputError(
                    str(path), f"symlink loop: it leads back to {os.path.realpath(path)}, a folder already being read"
                )
                continue
            yield from _walk(path, settings, ancestors | {key}, seen, skip)
        elif key not in seen:
            seen.add(key)
            kind = file_kind(st.st_mode)
            yield path if kind is None else InputError(str(path), f"is {kind}, not a regular file")


# summary.json as pipeline/summary.py writes it: a JSON object whose first key is the run id.
SUMMARY_FILE = "summary.json"
_SUMMARY_HEAD = b'{\n  "run_id": '


def _is_pipeline_summary(path: str) -> bool:
    try:
        with open_regular(path) as handle:
            return handle.read(len(_SUMMARY_HEAD)) == _SUMMARY_HEAD
    except OSError:
        return False


def _wanted(name: str, settings: IngestSettings) -> bool:
    lower = name.lower().removesuffix(".gz")
    return any(lower.endswith(ext.lower()) for ext in settings.extensions)


def _os_reason(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link (its target does not exist)" if path.is_symlink() else "no such file or directory"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot read: permission denied"
    if exc.errno == errno.EISDIR:
        return "is a directory"
    return f"cannot read: {exc.strerror or exc}"


# -- first pass: hash, decompress, check, detect the encoding ---------------------------------


class _HashingReader(io.RawIOBase):
    """Hashes every byte read through it (the gzip reader reads the raw file through this)."""

    def __init__(self, raw: IO[bytes], hasher: Any):
        self.raw, self.hasher = raw, hasher

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.hasher.update(data)
        buffer[: len(data)] = data
        return len(data)


def probe(path: Path, settings: IngestSettings) -> Probe:
    """Pass 1 over `path` (see the module docstring). Raises InputError."""
    name = str(path)
    try:
        handle = open_regular(path)  # a FIFO or device is refused here, never waited on or read
        st = os.fstat(handle.fileno())
    except NotRegularFile as exc:
        raise InputError(name, str(exc)) from exc
    except OSError as exc:
        raise InputError(name, _os_reason(exc, path)) from exc
    limit = int(settings.max_file_mb * 1024 * 1024)
    if st.st_size > limit:
        handle.close()
        raise InputError(
            name,
            f"file is {st.st_size / 1048576:.1f} MB, over max_file_mb {settings.max_file_mb:g} (raise it in the ingest: config section)",
        )
    hasher = hashlib.sha256()
    with handle:
        magic = handle.read(2)
        handle.seek(0)
        compressed = magic == b"\x1f\x8b"
        reader = io.BufferedReader(_HashingReader(handle, hasher), CHUNK)
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=reader, mode="rb") if compressed else reader)
        suffix_kind = _KIND_BY_SUFFIX.get(os.path.splitext(path.name.lower().removesuffix(".gz"))[1])
        try:
            scan = _scan(stream, name, limit, settings.max_line_chars, suffix_kind)
            while reader.read(CHUNK):  # hash any bytes gzip did not need
                pass
        except EOFError as exc:
            raise InputError(name, "truncated .gz file: the compressed data ends before the end of the stream") from exc
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise InputError(name, f"corrupt .gz file: {exc}") from exc
        except OSError as exc:
            raise InputError(name, _os_reason(exc, path)) from exc
    kind = suffix_kind or _sniff_kind(scan.head, scan.encoding)
    html_limit = int(settings.max_html_mb * 1024 * 1024)
    if kind == "html" and scan.total > html_limit:
        raise InputError(
            name,
            f"HTML page is {scan.total / 1048576:.1f} MB, over max_html_mb {settings.max_html_mb:g}: a page is parsed whole, "
            "which takes about 30 times its size in memory (raise ingest.max_html_mb to read it anyway)",
        )
    return Probe(
        path, st.st_size, hasher.hexdigest(), compressed, scan.encoding, kind, scan.total, scan.newlines, scan.note, scan.repair
    )


@dataclass
class _Scan:
    head: bytes
    total: int
    newlines: int
    encoding: str
    note: str | None = None
    repair: bool = False


def _scan(stream: IO[bytes], name: str, limit: int, max_line_chars: int, kind: Kind | None = None) -> _Scan:
    """Pass 1's reading: size, line ends, the longest line, binary content, and the encoding.

    A line ends at LF, CR LF or a lone CR (old Mac files), as the second
    pass's universal newlines read it. ``max_line_chars`` bounds the lines of
    text dumps and JSONL; an HTML page (by its suffix, else by its first
    bytes) is bounded by ``max_html_mb`` instead: minified markup is one
    long line, and the page is parsed whole anyway.
    """
    head = b""
    total = newlines = 0
    line_now = longest = 0
    bom_encoding: str | None = None
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    utf8_error: tuple[int, str] | None = None
    sample = bytearray()
    line_bytes_cap = max_line_chars * 4  # UTF-8 needs at most 4 bytes a character; pass 2 checks exactly
    carried_cr = False  # the last chunk ended with CR: an LF opening this one ends no second line
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        if not head:
            head = chunk[:SNIFF_BYTES]
            bom_encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), None) or _bomless_utf16(head)
            if bom_encoding is None:
                _reject_binary(head, name)
            if (kind or _sniff_kind(head, bom_encoding or "utf-8")) == "html":
                line_bytes_cap = limit  # a page's lines are not bounded; max_html_mb bounds the page
        total += len(chunk)
        if total > limit:
            raise InputError(name, f"decompressed text is over max_file_mb ({limit / 1048576:g} MB)")
        newlines += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n") - (carried_cr and chunk[:1] == b"\n")
        carried_cr = chunk.endswith(b"\r")
        parts = chunk.replace(b"\r", b"\n").split(b"\n")
        line_now += len(parts[0])
        if len(parts) > 1:
            longest = max(longest, line_now, max(map(len, parts[1:-1]), default=0))
            line_now = len(parts[-1])
        if max(longest, line_now) > line_bytes_cap:
            raise InputError(
                name,
                f"a line is over {line_bytes_cap:,} bytes (max_line_chars {max_line_chars:,}): not a text dump, or needs a higher limit",
            )
        if bom_encoding is None:
            at = chunk.find(b"\x00")
            if at >= 0:
                raise InputError(name, f"binary file: NUL byte at offset {total - len(chunk) + at}")
            if utf8_error is None:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8_error = (total - len(chunk) + exc.start, exc.reason)
            if len(sample) < CHUNK:
                sample += chunk[: CHUNK - len(sample)]
    if total == 0:
        raise InputError(name, "empty file")
    if bom_encoding:
        return _Scan(head, total, newlines, bom_encoding)
    if utf8_error is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            utf8_error = (total - 1, exc.reason)
    if utf8_error is None:
        if is_arabic_mojibake(bytes(sample).decode("utf-8", errors="ignore")):
            note = "its text is Windows Arabic read as a Latin charset and saved as UTF-8 (mojibake): repaired as it is read"
            return _Scan(head, total, newlines, "utf-8", note, repair=True)
        return _Scan(head, total, newlines, "utf-8")
    declared = declared_html_charset(head)
    if declared and _decodes(bytes(sample), declared):
        if _arabic_mislabelled(bytes(sample), declared):
            note = f"it declares charset {declared}, but its bytes are Windows Arabic (cp1256): read as cp1256"
            return _Scan(head, total, newlines, "cp1256", note)
        return _Scan(head, total, newlines, declared)
    return _Scan(head, total, newlines, _fallback_encoding(bytes(sample), name, utf8_error))


def _arabic_mislabelled(sample: bytes, declared: str) -> bool:
    """True when a page declares a charset that reads no Arabic from bytes that are Arabic prose in cp1256.

    ISO-8859-1 and windows-1252 decode any byte, so a cp1256 page declared as
    one of them "decodes" into accented Latin letters (mojibake such as
    "ÇáÑÆíÓ"), which nothing downstream recognises as Arabic. An Arabic
    charset (ISO-8859-6) is never overruled: it reads Arabic letters.
    """
    if codecs.lookup(declared).name == "cp1256" or not _plausible_cp1256(sample):
        return False
    non_ascii = [c for c in sample.decode(declared, errors="replace") if ord(c) > 127]
    return arabic_share("".join(non_ascii)) < 0.1


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{2,40})", re.IGNORECASE)


def declared_html_charset(head: bytes) -> str | None:
    """The encoding an HTML page declares in ``<meta charset>`` (or http-equiv), when Python knows it.

    Checked before any guess for files that are not UTF-8: a page in ISO-8859-6
    also decodes as Windows Arabic, into the wrong letters.
    """
    if b"<" not in head[:4096] or not re.search(rb"<(?:!doctype html|html|head|meta)", head[:4096], re.IGNORECASE):
        return None
    match = _META_CHARSET.search(head[:8192])
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError:
        # the sample may end inside a multi-byte character: judge all but the last few bytes
        try:
            sample[:-4].decode(encoding)
        except UnicodeDecodeError:
            return False
    return True


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: every other byte is NUL in Latin or Arabic text."""
    sample = head[:4096]
    if len(sample) < 16:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _reject_binary(head: bytes, name: str) -> None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise InputError(name, f"binary file ({what}), not text")
    controls = sum(1 for b in head[:8192] if b < 32 and b not in (9, 10, 12, 13))
    if head and controls > 0.05 * min(len(head), 8192):
        raise InputError(name, "binary file: too many control bytes for text")


def _fallback_encoding(sample: bytes, name: str, utf8_error: tuple[int, str]) -> str:
    """The encoding of a file that is not UTF-8: cp1256 Arabic, a confident guess, or cp1252 English."""
    if _plausible_cp1256(sample):
        return "cp1256"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
    except Exception:
        best = None
    if best is not None and best.encoding and best.chaos <= 0.2 and best.coherence >= 0.1:
        return best.encoding
    ascii_share = sum(1 for b in sample if b < 128) / max(len(sample), 1)
    if ascii_share >= 0.95:
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    offset, reason = utf8_error
    raise InputError(
        name,
        f"undecodable bytes: not UTF-8 ({reason} at byte {offset}), no byte-order mark, "
        "and neither Windows Arabic (cp1256) nor any other encoding decodes it as text",
    )


def _plausible_cp1256(sample: bytes) -> bool:
    """The bytes read as cp1256 are Arabic prose (German umlauts read as cp1256 are Arabic letters too, inside Latin words)."""
    try:
        text = sample.decode("cp1256")
    except UnicodeDecodeError:
        return False
    spaces = sum(1 for c in text if c.isspace()) / max(len(text), 1)
    return spaces >= 0.05 and reads_as_arabic_prose(text)


def _sniff_kind(head: bytes, encoding: str) -> Kind:
    try:
        text = head.decode(encoding, errors="ignore").lstrip("\ufeff \t\r\n").lower()
    except LookupError:
        return "text"
    if text.startswith(("<!doctype html", "<html")) or ("<html" in text[:2000] and "<body" in text):
        return "html"
    first = text.split("\n", 1)[0].strip()
    if first.startswith("{") and first.endswith("}"):
        return "jsonl"
    return "text"


# -- second pass: documents --------------------------------------------------------------------


def open_text(info: Probe) -> IO[str]:
    """The file decoded as a text stream (universal newlines)."""
    raw: IO[bytes] = open_regular(info.path)
    if info.compressed:
        raw = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    return io.TextIOWrapper(raw, encoding=info.encoding, errors="strict", newline=None)  # type: ignore[arg-type]


def _checked_lines(info: Probe, settings: IngestSettings) -> Iterator[str]:
    name = str(info.path)
    number = 0
    max_line = settings.max_line_chars if info.kind != "html" else info.text_bytes  # a page's lines: see _scan
    try:
        with open_text(info) as stream:
            for number, line in enumerate(stream, 1):
                line = repair_mojibake(line.rstrip("\n")) if info.repair else line.rstrip("\n")
                if len(line) > max_line:
                    raise InputError(
                        name, f"line is {len(line):,} characters long, over max_line_chars {settings.max_line_chars:,}", number
                    )
                yield line
    except UnicodeDecodeError as exc:
        raise InputError(name, f"undecodable bytes for {info.encoding} ({exc.reason})", number + 1) from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(name, f"corrupt .gz file: {exc}", number + 1) from exc
    except NotRegularFile as exc:  # replaced by a FIFO or a device since the first pass
        raise InputError(name, str(exc)) from exc
    except OSError as exc:
        raise InputError(name, _os_reason(exc, info.path), number + 1) from exc


def iter_source(info: Probe, settings: IngestSettings, line_errors: list[InputError] | None = None) -> Iterator[RawDocument]:
    """Documents of a probed file; broken JSONL lines go to `line_errors` and are skipped."""
    name = str(info.path)
    if info.kind == "jsonl":
        yield from _jsonl_documents(info, settings, line_errors if line_errors is not None else [])
    elif info.kind == "html":
        yield _html_document(info, "\n".join(_checked_lines(info, settings)))
    else:
        yield RawDocument(name, "text", info.encoding, _open_lines=lambda: _checked_lines(info, settings))


def read_source(
    path: Path | str, settings: IngestSettings | None = None, errors: list[InputError] | None = None
) -> list[RawDocument]:
    """All documents of one file (pure: no store). Raises InputError for a bad file.

    Broken JSONL lines are appended to `errors` when it is given (the other
    lines are returned); without it, the first broken line is raised.
    """
    settings = settings or IngestSettings()
    info = probe(Path(path), settings)
    line_errors: list[InputError] = []
    documents = list(iter_source(info, settings, line_errors))
    for document in documents:
        if document.segment:
            document.text  # noqa: B018 - read now, while the file is known to be readable
    if line_errors and errors is None:
        raise line_errors[0]
    if errors is not None:
        errors.extend(line_errors)
    return documents


# JSONL -------------------------------------------------------------------------------------------


def _jsonl_documents(info: Probe, settings: IngestSettings, errors: list[InputError]) -> Iterator[RawDocument]:
    name = str(info.path)
    good = 0
    for number, line in enumerate(_checked_lines(info, settings), 1):
        if not line.strip():
            continue
        try:
            document = _jsonl_document(name, info.encoding, number, json.loads(line))
            _refuse_lone_surrogates(document)
        except json.JSONDecodeError as exc:
            errors.append(InputError(name, f"not valid JSON ({exc.msg.removesuffix(' at')}, column {exc.colno})", number))
            continue
        except RecursionError:
            errors.append(InputError(name, "JSON nested too deeply to read (thousands of [ or { levels): not a piece", number))
            continue
        except ValueError as exc:
            errors.append(InputError(name, str(exc), number))
            continue
        good += 1
        yield document
    if good == 0:
        raise InputError(name, f"no usable JSON lines ({len(errors)} broken)" if errors else "empty file (no JSON lines)")


def _refuse_lone_surrogates(document: RawDocument) -> None:
    """A JSON string escape such as ``"\\ud800"`` is valid JSON but no Unicode text: the line is refused.

    Every text field of the document is checked (whatever the JSONL mapping
    reads), so no such string reaches the store, a JSON export or the model.
    """
    for key, value in vars(document).items():
        for text in _strings(value):
            at = _LONE_SURROGATE.search(text)
            if at:
                field = key.removeprefix("_")
                raise ValueError(f"field '{field}' holds a lone surrogate (\\u{ord(at.group()):04x}), which is not text")


_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _strings(value: Any) -> Iterator[str]:
    """Every string in `value` and the lists and mappings inside it (iteratively: no depth limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _jsonl_document(name: str, encoding: str, number: int, obj: Any) -> RawDocument:
    """One JSONL line as a piece: `text`, and the optional fields the output contract names (docs/output-contract.md).

    `translation` (a string, or a list with one string per paragraph) is a
    translation that came with the piece, made by the system named in `model`
    or `system` ("external" when neither is given); `id` is the input's own
    id of the piece, kept beside the content id.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("no 'text' field (or it is empty)")

    def field_str(*keys: str) -> str | None:
        for key in keys:
            value = obj.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    date = field_str("date")
    translation = translation_field(obj.get("translation"))
    return RawDocument(
        name,
        "jsonl",
        encoding,
        segment=False,
        line=number,
        title=field_str("title"),
        date=parse_date(date) if date else None,
        author=field_str("author"),
        outlet=field_str("outlet"),
        lang=field_str("lang", "language"),
        input_id=_id_field(obj.get("id")),
        translation=translation,
        model=(system_field(obj) or "external") if translation else None,
        _text=text,
    )


def _id_field(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError("'id' must be a string or an integer")


# HTML --------------------------------------------------------------------------------------------


def _html_document(info: Probe, html: str) -> RawDocument:
    """The page as it is: :mod:`pipeline.ingest.html` keeps its structure when cutting it into pieces."""
    return RawDocument(str(info.path), "html", info.encoding, segment=True, _text=html)
