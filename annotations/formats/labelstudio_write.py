"""Records as a Label Studio JSON file, the shape Label Studio both exports and imports: an
array of tasks `{"id", "data", "annotations": [{"result": [...]}], "predictions": [...]}`, one
task per line.

- **One task per article** (per article and Label Studio task id, when the records came from
  Label Studio: two tasks with one text stay two), in the order articles first appear; `data` is
  the text (under its original field, `text` by default) and the record's other `meta` fields.
- **Annotations** are the decided records, the latest per annotator (files are append-only): a
  record with an answer, or one with spans and no suggestions (files from tools that do not
  say). A record with suggestions and no answer (a `relecture suggest` output) is not decided:
  only its suggestions are written. `completed_by` is the annotator when it is an integer
  ("2" → 2, the user id Label Studio knows) or an email (`{"email": ...}`, which an import
  matches to a member): Label Studio refuses to import an id or email it does not know. Another
  annotator id is kept in the annotation's `relecture.annotator`, which Label Studio ignores
  (it credits the annotation to the importing user). `ignore` and `reject` are
  `was_cancelled: true` (a skip), `reject` also in `relecture.answer`, so that reading the file
  back gives the same answers. An annotation id read from Label Studio is written once per task
  (a record made from another annotator's copy does not take its id). `ground_truth` is written (false unless read true): an import
  without it marks every annotation as ground truth.
- **Predictions** are the suggestions of the article's records, one prediction per `source`
  (`model_version`), with each region's `score`, and the prediction's id and score when read
  from Label Studio.
- **Results** are `labels` regions `{"id", "from_name", "to_name", "type": "labels", "value":
  {"start", "end", "text", "labels"}}` (code points), with the names read from Label Studio,
  else `label` and `text` (the default NER config's). Spans that came from one region with
  several labels are one region again. A span's `source` is not written in annotations.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from annotations.formats.labelstudio_parts import META_KEY, OWN_KEY, is_id
from annotations.records import ArticleKey, Record, Span


def write_labelstudio(records: Iterable[Record], fh: BinaryIO) -> int:
    """Write the records' tasks to `fh`; returns the number of records read."""
    tasks: dict[tuple[Any, ArticleKey], _Task] = {}
    count = 0
    for record in records:
        count += 1
        ls = _ls(record)
        task_id = ls.get("task")
        key = (task_id if is_id(task_id) else None, record.article_key)
        task = tasks.get(key)
        if task is None:
            task = tasks[key] = _Task(record, ls)
        task.add(record, ls)
    fh.write(b"[")
    for i, task in enumerate(tasks.values()):
        fh.write(b"\n" if i == 0 else b",\n")
        fh.write(orjson.dumps(task.as_dict()))
    fh.write(b"\n]\n" if tasks else b"]\n")
    return count


def _ls(record: Record) -> dict[str, Any]:
    ls = (record.meta or {}).get(META_KEY)
    return ls if isinstance(ls, dict) else {}


def decided(record: Record) -> bool:
    """Whether a record is an annotation (see the module's docstring)."""
    return record.answer is not None or (not record.suggestions and bool(record.spans))


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _int_like(annotator: str) -> bool:
    return annotator.isascii() and annotator.isdigit() and str(int(annotator)) == annotator


@dataclass
class _Task:
    first: Record
    ls: dict[str, Any]
    annotations: dict[str | None, dict[str, Any]] = field(default_factory=dict)
    suggestions: dict[tuple[str | None, int, int, str], Span] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, str]:
        from_name, to_name = self.ls.get("from_name"), self.ls.get("to_name")
        return (
            from_name if isinstance(from_name, str) else "label",
            to_name if isinstance(to_name, str) else "text",
        )

    def add(self, record: Record, ls: dict[str, Any]) -> None:
        for s in record.suggestions or ():
            self.suggestions.setdefault((s.source, s.start, s.end, s.label), s)
        if decided(record):  # the latest per annotator, in the place of the first
            self.annotations[record.annotator] = self._annotation(record, ls)

    def _annotation(self, record: Record, ls: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if is_id(ls.get("annotation")):
            out["id"] = ls["annotation"]
        own: dict[str, str] = {}
        if record.annotator is not None:
            if _int_like(record.annotator):
                out["completed_by"] = int(record.annotator)
            elif _EMAIL.fullmatch(record.annotator):
                out["completed_by"] = {"email": record.annotator}
            else:
                own["annotator"] = record.annotator
        out["was_cancelled"] = record.answer in ("ignore", "reject")
        if record.answer == "reject":
            own["answer"] = "reject"
        out["ground_truth"] = ls.get("ground_truth") is True
        out["result"] = _results(record.spans or [], record.text, self.names, scores=False)
        if own:
            out[OWN_KEY] = own
        return out

    def as_dict(self) -> dict[str, Any]:
        record, ls = self.first, self.ls
        text_key = ls["text_key"] if isinstance(ls.get("text_key"), str) else "text"
        data: dict[str, Any] = {text_key: record.text}
        data.update((k, v) for k, v in (record.meta or {}).items() if k not in (META_KEY, text_key))
        out: dict[str, Any] = {}
        if is_id(ls.get("task")):
            out["id"] = ls["task"]
        out["data"] = data
        out["annotations"] = _unique_ids(list(self.annotations.values()))
        out["predictions"] = self._predictions()
        if isinstance(ls.get("task_meta"), dict):
            out["meta"] = ls["task_meta"]
        return out

    def _predictions(self) -> list[dict[str, Any]]:
        by_source: dict[str | None, list[Span]] = {}
        for s in self.suggestions.values():
            by_source.setdefault(s.source, []).append(s)
        infos = [p for p in self.ls.get("predictions") or () if isinstance(p, dict)]
        out = []
        for source, spans in by_source.items():
            info = next((p for p in infos if p.get("model_version") == source), {})
            if info:
                infos.remove(info)
            prediction: dict[str, Any] = {}
            if "id" in info:
                prediction["id"] = info["id"]
            if source is not None:
                prediction["model_version"] = source
            if "score" in info:
                prediction["score"] = info["score"]
            prediction["result"] = _results(spans, self.first.text, self.names, scores=True)
            out.append(prediction)
        return out


def _unique_ids(annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An annotation id read from Label Studio is written once per task: a record made from
    another annotator's (its meta copied by `annotate`) does not take that one's id."""
    seen: set[Any] = set()
    for annotation in annotations:
        if "id" in annotation:
            if annotation["id"] in seen:
                del annotation["id"]
            else:
                seen.add(annotation["id"])
    return annotations


def _results(
    spans: list[Span], text: str, names: tuple[str, str], scores: bool
) -> list[dict[str, Any]]:
    """`labels` regions; spans sharing a region id and characters are one region again."""
    out: list[dict[str, Any]] = []
    regions: dict[tuple[Any, ...], dict[str, Any]] = {}
    used: set[Any] = set()
    for i, s in enumerate(spans):
        extra = s.extra or {}
        from_name = extra["from_name"] if isinstance(extra.get("from_name"), str) else names[0]
        to_name = extra["to_name"] if isinstance(extra.get("to_name"), str) else names[1]
        rid = str(extra["id"]) if is_id(extra.get("id")) else None  # Label Studio's are strings
        key = (rid, s.start, s.end, from_name, to_name)
        if rid is not None and key in regions:
            labels = regions[key]["value"]["labels"]
            if s.label not in labels:
                labels.append(s.label)
            continue
        value = {"start": s.start, "end": s.end, "text": text[s.start : s.end], "labels": [s.label]}
        region: dict[str, Any] = {
            "id": rid if rid is not None and rid not in used else _region_id(s, i, used),
            "from_name": from_name,
            "to_name": to_name,
            "type": "labels",
            "value": value,
        }
        used.add(region["id"])
        if scores and s.score is not None and math.isfinite(s.score):
            region["score"] = s.score
        out.append(region)
        if rid is not None:
            regions[key] = region
    return out


def _region_id(span: Span, index: int, used: set[Any]) -> str:
    """A 10-character region id like Label Studio's, stable for the same span and place."""
    salt = 0
    while True:
        seed = f"{span.start}:{span.end}:{span.label}:{index}:{salt}".encode()
        rid = base64.urlsafe_b64encode(hashlib.blake2b(seed, digest_size=8).digest())[:10].decode()
        if rid not in used:
            return rid
        salt += 1
