"""Reading what the annotation tools export back: Label Studio JSON and JSON-MIN, doccano JSONL.

Each record of a file becomes a :class:`Found`: where it is (file, line or
task and annotation), what its task says it is about (the ids and the
identity fields the export put in, :mod:`.identity`), and the judgement the
reviewer made, or why the record cannot be read. Nothing here knows the
store: :mod:`.stage` checks the ids against it. A file that cannot be read
at all raises :class:`~pipeline.errors.InputError`; a bad record is one
:class:`Found` with a problem, so the good records of a file still count.

The formats, as the tools write them:

* Label Studio **JSON**: a list of tasks ``{"id", "data": {...}, "annotations":
  [{"id", "completed_by", "result": [...], "was_cancelled", "updated_at"}]}``,
  one judgement per annotation that was not cancelled; the reviewer is
  ``completed_by`` (a user id, or an object with an e-mail).
* Label Studio **JSON-MIN**: one flat object per annotation: the task's data
  fields, one key per control of the labeling config (``same_event``,
  ``adequacy``, ``errors`` ...), ``annotator``, ``annotation_id``, ``updated_at``.
* **doccano** JSONL (sequence labelling, text classification or
  sequence-to-sequence projects): one object per example: ``text`` (the
  translation), ``label`` (or ``labels``): spans ``[start, end, LABEL]`` are
  error spans; strings are a verdict ("Same event", "Related, different
  event", "Unrelated", "Not sure"), a rating ("adequacy 4", "fluency: 3") or,
  any other string, the corrected translation; ``Comments`` a comment; the
  rest is the metadata our export wrote. doccano names the reviewer by the
  file: its export is a zip of ``USERNAME.jsonl`` files (``all.jsonl`` when
  the project is collaborative); a zip is read member by member.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.errors import InputError
from pipeline.files import FileTooLarge, NotRegularFile, path_text, read_bounded
from pipeline.records import AnnotationTool, ErrorSpan, Judgement, Verdict

MAX_BYTES = 1 << 30  # an export larger than this is not one person's or one team's reviews

# The same_event choices of pipeline/export/labelstudio.py's labeling config (and doccano categories), and what
# each says of the pair shown. "No English coverage" says the English shown is not coverage: a different event.
VERDICTS: dict[str, Verdict] = {
    "same event": "same_event",
    "same_event": "same_event",
    "related, different event": "related",
    "related": "related",
    "unrelated": "different",
    "different": "different",
    "different event": "different",
    "no english coverage": "different",
    "not sure": "unsure",
    "unsure": "unsure",
}
RATING = re.compile(r"^\s*(adequacy|fluency)\s*[:=]?\s*([1-5])\s*$", re.I)
IDENTITY_FIELDS = ("kind", "source_id", "target_id", "system", "store_id", "task_key")


@dataclass
class Found:
    """One record of an export: where it is, what its task claims to be, and the judgement or the problem."""

    where: str
    task: dict[str, Any]  # the identity fields as the record gives them (IDENTITY_FIELDS)
    judgement: Judgement | None = None
    problem: str | None = None
    skipped: str | None = None  # not a judgement and not an error (a cancelled annotation, an empty one)


def read_export(path: Path, annotator: str | None = None) -> list[Found]:
    """Every record of one exported file (JSON, JSONL, or a zip of them); raises InputError when the file is unreadable."""
    name = path_text(path)
    try:
        data = read_bounded(path, MAX_BYTES)
    except FileNotFoundError:
        raise InputError(name, "file not found") from None
    except (NotRegularFile, FileTooLarge) as exc:
        raise InputError(name, str(exc)) from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    if zipfile.is_zipfile(io.BytesIO(data)):
        return list(_zip(name, data, annotator))
    return _one(name, Path(path).stem, data, annotator)


def _zip(name: str, data: bytes, annotator: str | None) -> Iterator[Found]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.endswith((".json", ".jsonl"))]
        if not members:
            raise InputError(name, "a zip with no .json or .jsonl file in it")
        for member in members:
            if member.file_size > MAX_BYTES:
                raise InputError(f"{name}/{member.filename}", f"{member.file_size:,} bytes is over the limit of {MAX_BYTES:,}")
            yield from _one(f"{name}/{member.filename}", Path(member.filename).stem, archive.read(member), annotator)


def _one(name: str, stem: str, data: bytes, annotator: str | None) -> list[Found]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 ({exc.reason})") from None
    if not text.strip():
        raise InputError(name, "empty file")
    if text.lstrip().startswith("["):
        return _label_studio(name, _json(name, text))
    return list(_doccano(name, text, annotator or _doccano_user(stem)))


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise InputError(name, "JSON nested too deeply to read") from None


# -- Label Studio ---------------------------------------------------------------------------------------


def _label_studio(name: str, tasks: Any) -> list[Found]:
    if not isinstance(tasks, list):
        raise InputError(name, "a Label Studio export is a JSON list of tasks")
    found: list[Found] = []
    for number, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            found.append(Found(f"{name}: item {number}", {}, problem="not a JSON object"))
        elif isinstance(task.get("annotations"), list):  # JSON: a task with its annotations
            found += _ls_task(name, number, task)
        else:  # JSON-MIN: one flat object per annotation
            found.append(_ls_min(name, number, task))
    return found


def _ls_task(name: str, number: int, task: dict[str, Any]) -> list[Found]:
    data: dict[str, Any] = task["data"] if isinstance(task.get("data"), dict) else {}
    where = f"{name}: task {task.get('id', number)}"
    claim = _claim(data)
    out: list[Found] = []
    for annotation in task["annotations"]:
        if not isinstance(annotation, dict):
            out.append(Found(where, claim, problem="an annotation that is not a JSON object"))
            continue
        here = f"{where}, annotation {annotation.get('id', '?')}"
        if annotation.get("was_cancelled"):
            out.append(Found(here, claim, skipped="cancelled (skipped) in Label Studio"))
            continue
        results = annotation.get("result")
        if not isinstance(results, list):
            out.append(Found(here, claim, problem="the annotation has no 'result' list"))
            continue
        values: dict[str, Any] = {}
        try:
            for result in results:
                _ls_result(result, values)
        except ValueError as exc:
            out.append(Found(here, claim, problem=str(exc)))
            continue
        out.append(_ls_judged(here, claim, data, annotation, "completed_by", "id", values))
    return out


def _ls_result(result: Any, values: dict[str, Any]) -> None:
    """One region or control value of a Label Studio annotation, into `values` by control name."""
    if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
        raise ValueError("a result without a 'value' object")
    name, value = str(result.get("from_name")), result["value"]
    if "choices" in value:
        values[name] = value["choices"]
    elif "rating" in value:
        values[name] = value["rating"]
    elif "labels" in value:
        values.setdefault(name, []).append(value)
    elif "text" in value:
        values[name] = value["text"]


def _ls_min(name: str, number: int, row: dict[str, Any]) -> Found:
    where = f"{name}: item {number} (task {row.get('id', '?')}, annotation {row.get('annotation_id', '?')})"
    claim = _claim(row)
    if "annotator" not in row and "annotation_id" not in row:
        return Found(where, claim, problem="neither a Label Studio task with 'annotations' nor a JSON-MIN annotation")
    values: dict[str, Any] = {
        key: row[key] for key in ("same_event", "adequacy", "fluency", "correction", "comment", "errors") if key in row
    }
    return _ls_judged(where, claim, row, row, "annotator", "annotation_id", values)


def _ls_judged(
    where: str,
    claim: dict[str, Any],
    data: Mapping[str, Any],
    annotation: Mapping[str, Any],
    who: str,
    id_key: str,
    values: dict[str, Any],
) -> Found:
    """A Label Studio judgement: the full export and JSON-MIN name the reviewer and the annotation's id differently."""
    when = annotation.get("updated_at") or annotation.get("created_at")
    return _judged(where, claim, data, "labelstudio", _reviewer(annotation.get(who)), when, values, annotation.get(id_key))


def _reviewer(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("email") or value.get("username") or value.get("id")
    if isinstance(value, bool) or value is None or not isinstance(value, str | int):
        return None
    return str(value)


# -- doccano --------------------------------------------------------------------------------------------


def _doccano_user(stem: str) -> str:
    """doccano names each reviewer's file after them; `all` is a collaborative project's one file."""
    return "all (collaborative doccano project)" if stem == "all" else stem


def _doccano(name: str, text: str, annotator: str) -> Iterator[Found]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield Found(where, {}, problem=f"not valid JSON: {getattr(exc, 'msg', exc)}")
            continue
        if not isinstance(row, dict):
            yield Found(where, {}, problem="each line must be a JSON object")
            continue
        claim = _claim({**row, "source_id": row.get("piece_id"), "kind": row.get("kind", "piece")})
        try:
            values = _doccano_values(row)
        except ValueError as exc:
            yield Found(where, claim, problem=str(exc))
            continue
        translation = row.get("text") if isinstance(row.get("text"), str) else None
        yield _judged(
            where,
            claim,
            {"translation": translation},
            "doccano",
            str(row.get("username") or annotator),
            None,
            values,
            row.get("id"),
        )


def _doccano_values(row: dict[str, Any]) -> dict[str, Any]:
    labels = row.get("label", row.get("labels", []))
    if not isinstance(labels, list):
        raise ValueError("'label' must be a list")
    values: dict[str, Any] = {}
    for label in [*labels, *(row.get("entities") or []), *(row.get("cats") or [])]:
        if isinstance(label, list) and len(label) == 3:
            values.setdefault("errors", []).append({"start": label[0], "end": label[1], "labels": [label[2]]})
        elif isinstance(label, dict) and {"start_offset", "end_offset", "label"} <= label.keys():
            values.setdefault("errors", []).append(
                {"start": label["start_offset"], "end": label["end_offset"], "labels": [label["label"]]}
            )
        elif isinstance(label, str):
            rating = RATING.match(label)
            if label.strip().lower() in VERDICTS:
                values["same_event"] = label.strip()
            elif rating:
                values[rating.group(1).lower()] = int(rating.group(2))
            elif label.strip():
                values["correction"] = label
        else:
            raise ValueError(f"a label doccano does not write: {json.dumps(label, ensure_ascii=False)[:80]}")
    comments = row.get("Comments", row.get("comments"))
    if isinstance(comments, list) and comments:
        values["comment"] = "\n".join(str(c.get("text", c)) if isinstance(c, dict) else str(c) for c in comments)
    return values


# -- the judgement ----------------------------------------------------------------------------------------


def _claim(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: data.get(key) for key in IDENTITY_FIELDS}


def _judged(
    where: str,
    claim: dict[str, Any],
    data: Mapping[str, Any],
    tool: AnnotationTool,
    annotator: str | None,
    when: Any,
    values: Mapping[str, Any],
    external_id: Any,
) -> Found:
    """The judgement a record holds (not yet checked against the store), or the problem with it."""
    if annotator is None:
        return Found(where, claim, problem="no reviewer id (completed_by / annotator)")
    if not isinstance(claim.get("source_id"), str) or not claim["source_id"]:
        return Found(where, claim, problem="the task names no source_id: not a task this pipeline exported")
    if not any(values.get(k) not in (None, "", [], {}) for k in values):
        return Found(where, claim, skipped="nothing was filled in")
    try:
        choice = _first_text(values.get("same_event"))
        verdict = VERDICTS.get(choice.strip().lower()) if choice else None
        if choice and verdict is None:
            raise ValueError(f"unknown same-event choice {choice!r}")
        if not claim.get("target_id"):
            verdict = None  # no English piece was shown: a verdict judges no pair (the choice is kept as said)
        translation = data.get("translation") if isinstance(data.get("translation"), str) else None
        judgement = Judgement(
            tool=tool,
            annotator=annotator,
            annotated_at=str(when) if when else None,
            kind=str(claim.get("kind") or "match"),
            source_id=claim["source_id"],
            target_id=claim.get("target_id") or None,
            system=claim.get("system") or None,
            verdict=verdict,
            choice=choice,
            adequacy=_rating(values.get("adequacy"), "adequacy"),
            fluency=_rating(values.get("fluency"), "fluency"),
            errors=[_span(e, translation) for e in values.get("errors") or []],
            correction=_first_text(values.get("correction"), joined=True),
            comment=_first_text(values.get("comment"), joined=True),
            translation=translation,
            external_id=None if external_id is None else str(external_id),
        )
    except (ValueError, TypeError, ValidationError) as exc:
        return Found(where, claim, problem=_first_error(exc))
    return Found(where, claim, judgement=judgement)


def _first_text(value: Any, joined: bool = False) -> str | None:
    if isinstance(value, list):
        texts = [str(v) for v in value if isinstance(v, str | int | float)]
        value = "\n".join(texts) if joined else (texts[0] if texts else None)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, found {json.dumps(value)[:60]}")
    return value.strip() or None


def _rating(value: Any, name: str) -> int | None:
    if isinstance(value, list):  # JSON-MIN: [{"rating": 4}]
        value = value[0].get("rating") if value and isinstance(value[0], dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 5:
        raise ValueError(f"{name} rating must be 1 to 5, found {value!r}")
    return int(value)


def _span(value: Any, translation: str | None) -> ErrorSpan:
    if not isinstance(value, dict) or not isinstance(value.get("labels"), list) or not value["labels"]:
        raise ValueError("an error span without labels")
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
        raise ValueError(f"an error span with offsets {start!r}..{end!r}")
    if translation is not None and end > len(translation):
        raise ValueError(f"an error span ends at {end}, past the translation's {len(translation)} characters")
    text = value.get("text") if isinstance(value.get("text"), str) else (translation[start:end] if translation else None)
    return ErrorSpan(start=start, end=end, label=str(value["labels"][0]), text=text)


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        return f"field '{'.'.join(map(str, first['loc']))}': {first['msg']}"
    return str(exc)
