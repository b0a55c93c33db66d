"""The pieces of reading Label Studio JSON (`labelstudio` reads the tasks): where a message
points, which field holds the text, a region's spans, an annotation's annotator and answer, and
what a file holds that is not read."""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from annotations.checks import is_int, nesting_problem, type_name
from annotations.errors import InputError
from annotations.formats.doccano import _shown
from annotations.records import ANSWERS, Span

log = logging.getLogger("relecture.formats")

META_KEY = "label_studio"  # in a record's meta: Label Studio's ids and names
OWN_KEY = "relecture"  # on a written annotation: what Label Studio has no field for


@dataclass
class Tally:
    """What a file holds that is not read, for the notices at its end."""

    skipped: Counter[str] = field(default_factory=Counter)  # result types other than labels
    unlabelled: int = 0  # labels regions with no label
    elsewhere: int = 0  # labels results on another data field than the text
    id_only: int = 0  # tasks whose predictions are listed by id only
    labels: int = 0  # labels results read

    def finish(self, path: Path) -> None:
        parts = [f"{n} {kind} result{'s' * (n != 1)}" for kind, n in self.skipped.most_common()]
        if parts and not self.labels:
            raise InputError(
                path,
                0,
                f"no labels result, only {', '.join(parts)}: not span annotations of a text",
            )
        if self.unlabelled:
            parts.append(f"{self.unlabelled} region{'s' * (self.unlabelled != 1)} without a label")
        if self.elsewhere:
            parts.append(f"{self.elsewhere} labels result(s) on another data field than the text")
        if parts:
            log.warning("%s: not read (relecture reads labels regions): %s", path, ", ".join(parts))
        if self.id_only:
            log.warning(
                "%s: %d task(s) list their predictions by id only: nothing to read (a Label "
                "Studio export snapshot with predictions expanded holds them)",
                path,
                self.id_only,
            )


def is_id(value: Any) -> bool:
    return is_int(value) or isinstance(value, str)


def task_name(tid: Any, count: int) -> str:
    return f"task {_shown(tid)}" if is_id(tid) else f"task #{count}"


@dataclass
class TaskInput:
    path: Path
    line: int
    obj: dict[str, Any]
    name: str
    tally: Tally

    def error(self, message: str) -> InputError:
        return InputError(self.path, self.line, message)

    def where(self, aid: Any) -> str:
        inner = self.name if aid is None else f"{self.name}, annotation {_shown(aid)}"
        return f"{self.path}:{self.line} ({inner})"


def objects(task: TaskInput, owner: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = owner.get(key, [])
    if items is None:
        return []
    if not isinstance(items, list):
        raise task.error(f"{where}: {key!r} must be a list, got {type_name(items)}")
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise task.error(f"{where}: {key}[{i}] must be an object, got {type_name(item)}")
    return items


def find_text_key(
    task: TaskInput,
    fields: dict[str, Any],
    preferred: list[str],
    regions: list[Any],
    skip: set[str],
) -> str:
    """Which field holds the text (see the module's docstring), or an error saying why none."""
    strings = [k for k, v in fields.items() if isinstance(v, str) and k not in skip]
    order = [k for k in dict.fromkeys([*preferred, "text", *strings]) if k in strings]
    checked = [v for v in regions if isinstance(v, dict) and isinstance(v.get("text"), str)]
    if checked:
        for k in order:
            if all(_matches(fields[k], v) for v in checked):
                return k
    explicit = [k for k in dict.fromkeys([*preferred, "text"]) if k in strings]
    if explicit:
        return explicit[0]
    if len(strings) == 1:
        return strings[0]
    if not strings:
        named = ", ".join(repr(k) for k in fields if k not in skip) or "none"
        raise task.error(f"{task.name}: no text field (fields: {named}): not a text task")
    named = ", ".join(map(repr, strings))
    raise task.error(
        f"{task.name}: cannot tell which field holds the text (string fields: {named})"
    )


def checked_text(task: TaskInput, text: str, key: str) -> str:
    if not text:
        raise task.error(f"{task.name}: the text ({key!r}) is empty")
    if "\x00" in text:
        raise task.error(
            f"{task.name}: the text ({key!r}) contains a NUL character at offset {text.index(chr(0))}"
        )
    return text


def _matches(text: str, value: dict[str, Any]) -> bool:
    s, e = value.get("start"), value.get("end")
    return not (is_int(s) and is_int(e)) or text[s:e] == value["text"]


def data_meta(task: TaskInput, fields: dict[str, Any]) -> dict[str, Any]:
    if META_KEY in fields:
        raise task.error(f"{task.name}: a field is named {META_KEY!r}, which relecture uses itself")
    deep = nesting_problem(fields)
    if deep:
        raise task.error(f"{task.name}: 'data' is {deep}")
    return fields


def result_spans(
    task: TaskInput, results: Any, text: str, text_key: str, where: str, names: dict[str, str]
) -> list[Span]:
    """The spans of a result list's `labels` results; a span keeps its region's from_name and
    to_name when they differ from the task's (`names`)."""
    if not isinstance(results, list):
        raise task.error(f"{where}: 'result' must be a list, got {type_name(results)}")
    data = task.obj.get("data") or {}
    out: list[Span] = []
    for j, r in enumerate(results, 1):
        if not isinstance(r, dict):
            raise task.error(f"{where}: result {j} must be an object, got {type_name(r)}")
        kind = r.get("type")
        if kind != "labels":
            task.tally.skipped[kind if isinstance(kind, str) else "untyped"] += 1
            continue
        source = r.get("source")
        if isinstance(source, str) and source[:1] == "$" and source[1:] in data.keys() - {text_key}:
            task.tally.elsewhere += 1
            continue
        task.tally.labels += 1
        rid = r.get("id")
        here = f"{where}, result {_shown(rid) if rid is not None else j}"
        extra: dict[str, Any] = {}
        if is_id(rid):
            extra["id"] = rid
        for key in ("from_name", "to_name"):
            name = r.get(key)
            if isinstance(name, str) and names.get(key) != name:
                extra[key] = name
        score = checked_score(task, r.get("score"), here)
        value = r.get("value")
        if not isinstance(value, dict):
            raise task.error(f"{here}: 'value' must be an object, got {type_name(value)}")
        out += [
            replace(s, score=score, extra=dict(extra) or None)
            for s in value_spans(task, value, text, here)
        ]
    return out


def value_spans(task: TaskInput, value: dict[str, Any], text: str, where: str) -> list[Span]:
    """A region's spans, one per label; its offsets and `text` checked against the text."""
    s, e, labels = value.get("start"), value.get("end"), value.get("labels")
    if not (is_int(s) and is_int(e)):
        raise task.error(
            f"{where}: start and end must be integers (character offsets), got "
            f"{type_name(s)} {_shown(s)} and {type_name(e)} {_shown(e)}"
        )
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise task.error(
            f"{where}: 'labels' must be a list of non-empty strings, got {_shown(labels)}"
        )
    if not 0 <= s < e <= len(text):
        raise task.error(
            f"{where}: offsets {s}-{e} are out of range (the text has {len(text)} characters)"
        )
    shown = value.get("text")
    if shown is not None:
        if not isinstance(shown, str):
            raise task.error(f"{where}: 'text' must be a string, got {type_name(shown)}")
        if text[s:e] != shown:
            units = text.encode("utf-16-le")[2 * s : 2 * e].decode("utf-16-le", "replace")
            hint = (
                " (it does at these offsets in UTF-16 units: the file counts JavaScript "
                "characters, as some Label Studio versions did; relecture counts code points)"
                if units == shown
                else ""
            )
            raise task.error(
                f"{where}: text {_shown(shown)} does not match the text at {s}-{e} "
                f"({_shown(text[s:e])}){hint}"
            )
    if not labels:
        task.tally.unlabelled += 1
    return [Span(s, e, label) for label in dict.fromkeys(labels)]


def checked_score(task: TaskInput, value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise task.error(f"{where}: 'score' must be a number, got {_shown(value)}")
    return float(value)


def who(task: TaskInput, a: dict[str, Any], where: str) -> tuple[str | None, str]:
    """An annotation's annotator and answer (see the module's docstring)."""
    by = a.get("completed_by")
    if isinstance(by, dict):  # a user object: its id, else its email
        by = by.get("id") if by.get("id") is not None else by.get("email")
    annotator = user_id(task, by, where)
    cancelled = a.get("was_cancelled") is True or a.get("skipped") is True
    answer = "ignore" if cancelled else "accept"
    own = a.get(OWN_KEY)
    if own is not None:  # written by relecture: an annotator or an answer Label Studio cannot hold
        if not isinstance(own, dict):
            raise task.error(f"{where}: {OWN_KEY!r} must be an object, got {type_name(own)}")
        if "annotator" in own:
            if not isinstance(own["annotator"], str) or not own["annotator"]:
                raise task.error(f"{where}: {OWN_KEY}.annotator must be a non-empty string")
            annotator = own["annotator"]
        if "answer" in own:
            if own["answer"] not in ANSWERS:
                raise task.error(f"{where}: {OWN_KEY}.answer must be one of {', '.join(ANSWERS)}")
            answer = own["answer"]
    return annotator, answer


def user_id(task: TaskInput, value: Any, where: str) -> str | None:
    if value is None:
        return None
    if is_int(value) or (isinstance(value, str) and value):
        return str(value)
    raise task.error(f"{where}: the annotator must be a user id, got {_shown(value)}")


def timestamp(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except (ValueError, OverflowError, OSError):
        return None
