"""Label Studio JSON: the full export (an array of tasks, or one task object; Label Studio 0.x's
`completions` too) and JSON_MIN (one flat object per annotation). `labelstudio_write` writes it.

What becomes what:
- **The text** is a string field of the task's `data` (JSON_MIN: of the object): the one the
  `labels` results name (`source` "$field", else `to_name`), else `text`, else the only string
  field; when regions carry `value.text`, the first of these fields they all match. Every other
  field goes to `meta` as it is, so that a write puts it back in `data`.
- **Annotators.** Each `annotations[]` entry is one record: the annotator is `completed_by` as a
  string ("1"; for a user object, its `id`, else its `email`); JSON_MIN's `annotator` likewise.
  Without it (Label Studio 0.x files, hand-made ones) the record names no annotator, so the
  file's name stands in for it, as for every format that does not say: several such annotations
  of one task are one annotator's and the last counts (Label Studio, too, credits an imported
  annotation without `completed_by` to the importing user). A `relecture` object on an
  annotation (`labelstudio_write` puts it there) gives the annotator and answer Label Studio has
  no field for.
- **Answers.** `was_cancelled` (0.x: `skipped`) gives `ignore`, with the spans kept: cancelling
  is Label Studio's *Skip* button, the annotator passed on the task; `reject` says the article is
  unusable, which a skip does not. Every other annotation is `accept` (JSON_MIN leaves cancelled
  annotations out).
- **Predictions** (expanded objects; the copy each annotation holds in `prediction` is the same
  prediction, read once, by id) are every record's `suggestions`: `source` = `model_version`,
  `score` = the region's. A task with predictions and no annotation is one record with no
  answer. Predictions listed by id only (`[7]`) hold nothing to read: one notice says so.
- **Regions.** A `labels` result is a span per label in `value.labels` (a region with two
  labels is two spans on the same characters, which the scheme's overlap check reports unless it
  allows overlaps). `value.start`/`value.end` are code points, as Label Studio's editor counts
  them (1.21); `value.text`, when present, must equal the text there (a mismatch is an error
  naming the task, with a hint when the offsets match in UTF-16 units, as older versions
  counted). The region `id` is kept in the span (`id`), and `from_name`/`to_name` when they
  differ from the record's.
- **Ids.** `meta["label_studio"]` keeps what a write restores: `task` and `annotation` ids,
  `from_name`, `to_name`, `text_key` (when not "text"), `predictions` (`id`, `model_version`,
  `score`), `ground_truth` (when true) and the task's own `meta` (`task_meta`).
- **Not read:** results of other types (choices, textarea, relations, rectangles...) and
  regions without a label, summed up in one notice per file; a file with results of which none
  is a `labels` result is refused (it is not span annotation), as is a task without a text.
  Timestamps become `_timestamp` (`updated_at`); `lead_time`, drafts, region `meta`/`origin`
  and the other bookkeeping keys are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from annotations.align import Policy
from annotations.checks import type_name
from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.formats.doccano import _shown, json_values
from annotations.formats.labelstudio_parts import (
    META_KEY,
    OWN_KEY,
    Tally,
    TaskInput,
    checked_score,
    checked_text,
    data_meta,
    find_text_key,
    is_id,
    objects,
    result_spans,
    task_name,
    timestamp,
    user_id,
    value_spans,
    who,
)
from annotations.inputs import read_input
from annotations.records import Record, Span, Token
from annotations.tokenize import tokenize

__all__ = ["META_KEY", "OWN_KEY", "is_labelstudio", "looks_like_labelstudio", "read_labelstudio"]

_ANNOTATIONS = ("annotations", "completions")
_MIN_KEYS = frozenset(("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time"))
PEEK_BYTES = 1 << 20
_FULL_HEAD = re.compile(rb'"(?:annotations|completions)"\s*:\s*\[\s*\{')


def _regions(value: Any) -> bool:
    """A JSON_MIN field holding `labels` regions: `[{"start", "end", "labels": [...]}, ...]`."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(r, dict)
            and "start" in r
            and "end" in r
            and isinstance(r.get("labels"), list)
            for r in value
        )
    )


def looks_like_labelstudio(obj: Any) -> bool:
    """A task (an object with `data`, and maybe `annotations`, `completions`, `predictions`) or
    a JSON_MIN record."""
    if not isinstance(obj, dict):
        return False
    if isinstance(obj.get("data"), dict):  # a task, as Label Studio imports and exports them
        return "text" not in obj
    if "annotation_id" in obj and "annotator" in obj:
        return True
    return any(_regions(v) for v in obj.values())


def is_labelstudio(path: Path) -> bool:
    """Whether a `.json` file's first value (the first element of its array) looks like a Label
    Studio task. A first value too long to peek at is judged from the keys in its first MB."""
    head = read_input(path, PEEK_BYTES)
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        text = text[1:].lstrip(" \t\r\n")
    try:
        value, _end = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return bool(
            (_FULL_HEAD.search(head) and b'"result"' in head)
            or (b'"data"' in head and b'"predictions"' in head)
        )
    return looks_like_labelstudio(value)


def read_labelstudio(
    path: Path, policy: Policy | str = Policy.SPLIT, tokens: bool = True
) -> Iterator[Item]:
    """The file's records. The whole file is checked before the first is yielded (a bad task
    anywhere, or no labels result at all, fails before the tokenizer loads): the JSON is read
    whole anyway."""
    tally = Tally()
    tasks: list[list[tuple[Record, str]]] = []
    for lineno, obj in json_values(path):
        count = len(tasks) + 1
        if not isinstance(obj, dict):
            raise InputError(
                path, lineno, f"task #{count}: expected an object, got {type_name(obj)}"
            )
        if not isinstance(obj.get("data"), dict) and not looks_like_labelstudio(obj):
            raise InputError(
                path,
                lineno,
                f"{task_name(obj.get('id'), count)}: not a Label Studio task (an object with "
                "'data') nor a JSON_MIN record (with 'annotator', 'annotation_id' or regions)",
            )
        reader = _task if isinstance(obj.get("data"), dict) else _min_record
        tasks.append(reader(TaskInput(path, lineno, obj, task_name(obj.get("id"), count), tally)))
    if not tasks:
        raise InputError(path, 0, "no tasks (the file holds an empty JSON array)")
    tally.finish(path)
    for records in tasks:
        shared: list[Token] | None = None
        for record, where in records:
            if tokens:  # one tokenisation per task, whatever its number of annotations
                shared = shared if shared is not None else tokenize(record.text)
                record.tokens = list(shared)
            yield Item(record, where, complete(record, policy, tokens))


def _task(task: TaskInput) -> list[tuple[Record, str]]:
    obj, name = task.obj, task.name
    data: dict[str, Any] = obj["data"]
    key = next((k for k in _ANNOTATIONS if k in obj), "annotations")
    annotations = objects(task, obj, key, name)
    predictions = _predictions(task, annotations)
    results = [
        r
        for owner in (*annotations, *predictions)
        for r in objects(task, owner, "result", name)
        if r.get("type") == "labels"
    ]
    preferred = [
        str(r["source"])[1:] for r in results if str(r.get("source", "")).startswith("$")
    ] + [r["to_name"] for r in results if isinstance(r.get("to_name"), str)]
    text_key = find_text_key(task, data, preferred, [r.get("value") for r in results], set())
    text = checked_text(task, data[text_key], text_key)
    meta = data_meta(task, {k: v for k, v in data.items() if k != text_key})
    ls: dict[str, Any] = {}
    if is_id(obj.get("id")):
        ls["task"] = obj["id"]
    if text_key != "text":
        ls["text_key"] = text_key
    if isinstance(obj.get("meta"), dict) and obj["meta"]:
        ls["task_meta"] = obj["meta"]

    first = results[0] if results else {}
    names = {k: first[k] for k in ("from_name", "to_name") if isinstance(first.get(k), str)}
    ls.update(names)
    suggestions: list[Span] | None = None
    infos = []
    for p in predictions:
        where = f"{name}, prediction {_shown(p.get('id'))}"
        info = {k: p[k] for k in ("id", "model_version") if is_id(p.get(k))}
        score = checked_score(task, p.get("score"), where)
        if score is not None:
            info["score"] = score
        infos.append(info)
        source = p.get("model_version") if isinstance(p.get("model_version"), str) else None
        found = result_spans(task, p.get("result") or [], text, text_key, where, names)
        suggestions = (suggestions or []) + [replace(s, source=source) for s in found]
    if infos:
        ls["predictions"] = infos

    out: list[tuple[Record, str]] = []
    for a in annotations:
        aid = a.get("id")
        where = f"{name}, annotation {_shown(aid)}" if aid is not None else name
        spans = result_spans(task, a.get("result") or [], text, text_key, where, names)
        annotator, answer = who(task, a, where)
        record_ls = {k: v for k, v in ls.items() if k == "task"}
        if is_id(aid):
            record_ls["annotation"] = aid
        record_ls.update(ls)
        if a.get("ground_truth") is True:
            record_ls["ground_truth"] = True
        record = Record(
            text=text,
            meta={**meta, META_KEY: record_ls},
            spans=spans,
            suggestions=None if suggestions is None else [replace(s) for s in suggestions],
            answer=answer,
            annotator=annotator,
            timestamp=timestamp(a.get("updated_at") or a.get("created_at")),
        )
        out.append((record, task.where(aid)))
    if not annotations:  # the task alone: its text, and its predictions if any
        record = Record(text=text, meta={**meta, META_KEY: ls}, suggestions=suggestions)
        out.append((record, task.where(None)))
    return out


def _predictions(task: TaskInput, annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The task's expanded predictions, then the copies its annotations hold of predictions not
    among them (a sync export lists the task's by id only), each once."""
    raw = task.obj.get("predictions") or []
    if not isinstance(raw, list):
        raise task.error(f"{task.name}: 'predictions' must be a list, got {type_name(raw)}")
    out: list[dict[str, Any]] = []
    ids: set[Any] = set()
    listed: list[Any] = []
    for i, p in enumerate(raw, 1):
        if isinstance(p, dict):
            out.append(p)
            ids.add(p.get("id"))
        elif is_id(p):
            listed.append(p)
        else:
            raise task.error(
                f"{task.name}: predictions[{i}] must be an object or an id, got {type_name(p)}"
            )
    for a in annotations:
        copy = a.get("prediction")
        if isinstance(copy, dict) and copy.get("result") is not None and copy.get("id") not in ids:
            out.append(copy)
            ids.add(copy.get("id"))
    if any(p not in ids for p in listed):
        task.tally.id_only += 1
    for p in out:
        if not isinstance(p.get("result", []), list):
            raise task.error(f"{task.name}: a prediction's 'result' must be a list")
    return out


def _min_record(task: TaskInput) -> list[tuple[Record, str]]:
    """A JSON_MIN object: the data fields flattened beside `id`, `annotator`, `annotation_id`,
    and the regions under the control tag's name (`"label": [{"start", "end", "text",
    "labels"}]`)."""
    obj, name = task.obj, task.name
    keys = [k for k, v in obj.items() if _regions(v)]
    values = [v for k in keys for v in obj[k]]
    text_key = find_text_key(task, obj, [], values, {*_MIN_KEYS, *keys})
    text = checked_text(task, obj[text_key], text_key)
    meta = data_meta(task, {k: v for k, v in obj.items() if k not in {*_MIN_KEYS, *keys, text_key}})
    ls: dict[str, Any] = {}
    for ours, theirs in (("task", "id"), ("annotation", "annotation_id")):
        if is_id(obj.get(theirs)):
            ls[ours] = obj[theirs]
    if text_key != "text":
        ls["text_key"] = text_key
    aid = ls.get("annotation")
    where = f"{name}, annotation {_shown(aid)}" if aid is not None else name
    spans: list[Span] = []
    for key in keys:
        ls.setdefault("from_name", key)
        extra = {"from_name": key} if key != ls["from_name"] else None
        for j, value in enumerate(obj[key], 1):
            spans += [
                replace(s, extra=extra)
                for s in value_spans(task, value, text, f"{where}, {key}[{j}]")
            ]
    decided = bool(keys) or "annotation_id" in obj or "annotator" in obj
    record = Record(
        text=text,
        meta={**meta, META_KEY: ls},
        spans=spans if decided else None,
        answer="accept" if decided else None,
        annotator=user_id(task, obj.get("annotator"), where),
        timestamp=timestamp(obj.get("updated_at") or obj.get("created_at")),
    )
    return [(record, task.where(aid))]
