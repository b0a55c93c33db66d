"""Label Studio JSON, read and written: every Label Studio file in ../shared/reference/peers
counted against the counts its README gives (independent of the reader); Label Studio's own
CoNLL export against `relecture export --format conll` of the same annotations; a file read,
written as our JSONL and back as Label Studio JSON keeps its tasks, annotations, spans, labels
and predictions; any records written as Label Studio JSON read back the same (hypothesis).

Readers run with `tokens=False` (no tokenizer) except where the command line is the point."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.errors import InputError
from annotations.formats import detect, read, write_records
from annotations.formats.labelstudio import META_KEY
from annotations.records import ANSWERS, Record, Span, article_name
from tests.conftest import REFERENCE, REPO, need

LS = REFERENCE / "peers" / "label_studio"
EXPORT = LS / "exported" / "export.json"
EXPORT_MIN = LS / "exported" / "export_min.json"
EXPORT_CONLL = LS / "exported" / "export.conll"
PRED_IDS = LS / "exported" / "predictions_only.json"
PRED_FULL = LS / "exported" / "predictions_only_full.json"
LEGACY = LS / "label-studio-converter" / "test" / "fixtures" / "completions" / "348.json"
FRONTEND = LS / "label-studio-frontend" / "examples" / "named_entity"
TASKS = FRONTEND / "tasks.json"
SINGLE = FRONTEND / "annotations" / "1.json"
ALL_FILES = (EXPORT, EXPORT_MIN, PRED_IDS, PRED_FULL, LEGACY, TASKS, SINGLE)
runner = CliRunner()


@cache
def records_of(path: Path) -> tuple[Record, ...]:
    return tuple(item.record for item in read(need(path), tokens=False))


def raw(path: Path) -> Any:
    return json.loads(need(path).read_text("utf-8"))


def per_label(records: Any, annotator: str | None = None) -> Counter[str]:
    return Counter(
        s.label for r in records if annotator in (None, r.annotator) for s in r.spans or ()
    )


def distinct_suggestions(records: Any) -> Counter[str]:
    """Suggestion labels, once per task (every record of a task carries its predictions)."""
    seen: dict[Any, list[Span]] = {}
    for r in records:
        seen.setdefault(r.meta[META_KEY].get("task"), r.suggestions or [])
    return Counter(s.label for spans in seen.values() for s in spans)


def invoke(*args: str) -> Any:
    result = runner.invoke(build_app(), list(args))  # type: ignore[arg-type]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


# ---------------------------------------------------------------- the reference files


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_label_studio_file_is_detected(path: Path) -> None:
    assert detect(need(path)) == "labelstudio"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_record_is_valid_against_the_schema(path: Path) -> None:
    schema = json.loads((REPO / "schema" / "record.schema.json").read_text("utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for record in records_of(path):
        validator.validate(record.to_dict())


def test_full_export_two_users_one_cancelled() -> None:
    records = records_of(EXPORT)
    assert len({r.meta[META_KEY]["task"] for r in records}) == 6
    assert len(records) == 12
    assert Counter(r.annotator for r in records) == {"1": 6, "2": 6}
    assert Counter((r.annotator, r.answer) for r in records) == {
        ("1", "accept"): 6,
        ("2", "accept"): 5,
        ("2", "ignore"): 1,
    }
    assert per_label(records, "1") == {"LOC": 29, "ORG": 17, "PER": 37}
    assert per_label(records, "2") == {"LOC": 24, "MISC": 6, "ORG": 18, "PER": 29}
    (cancelled,) = [r for r in records if r.answer == "ignore"]
    assert cancelled.meta[META_KEY]["task"] == 6 and len(cancelled.spans or ()) == 14
    # the predictions come once per task, from the copy each annotation holds (the task lists
    # them by id only), never twice although both annotations hold one
    assert distinct_suggestions(records) == {"DATE": 2, "LOC": 25, "MISC": 4, "ORG": 20, "PER": 32}
    for r in records:
        (prediction,) = r.meta[META_KEY]["predictions"]
        assert prediction["model_version"] == "spacy-fr-md" and isinstance(
            prediction["score"], float
        )
        assert all(s.source == "spacy-fr-md" and s.score is not None for s in r.suggestions or ())
        assert r.meta[META_KEY]["from_name"] == "label" and r.meta[META_KEY]["to_name"] == "text"
        assert set(r.meta) == {"source", "gallica", "bio_lines", META_KEY}  # data, as it is
    by_task = Counter(r.meta[META_KEY]["task"] for r in records)
    assert by_task == {t: 2 for t in range(1, 7)}
    # the ids a write restores
    assert [r.meta[META_KEY]["annotation"] for r in records] == list(range(1, 13))


def test_reports_name_an_article_by_its_task_id() -> None:
    """Tasks share a `source` (6 tasks, 3 sources): reports name them as Label Studio does."""
    records = records_of(EXPORT)
    assert len({r.meta["source"] for r in records}) == 3
    assert [article_name(r, "?") for r in records[::2]] == [f"task {n}" for n in range(1, 7)]
    assert article_name(Record(text="a", meta={"id": "x", META_KEY: {"task": 3}}), "?") == "x"


def test_emoji_task_offsets_are_code_points() -> None:
    first = records_of(EXPORT)[0]
    assert first.text.startswith("Élise Dupont 🎉 rencontre Renault à Genève.")
    spans = {first.span_text(s): (s.start, s.end, s.label) for s in first.spans or ()}
    assert spans["Renault"] == (25, 32, "ORG")
    assert spans["Genève"] == (35, 41, "LOC")
    assert spans["Élise Dupont"] == (0, 12, "PER")


def test_json_min_is_the_export_without_the_cancelled_annotation() -> None:
    records = records_of(EXPORT_MIN)
    assert len(records) == 11
    assert Counter(r.annotator for r in records) == {"1": 6, "2": 5}
    assert {r.answer for r in records} == {"accept"}
    assert per_label(records, "1") == {"LOC": 29, "ORG": 17, "PER": 37}
    assert per_label(records, "2") == {"LOC": 22, "MISC": 5, "ORG": 15, "PER": 21}
    assert all(r.suggestions is None for r in records)
    full = {
        (r.annotator, r.meta[META_KEY]["annotation"]): sorted(s.key for s in r.spans or ())
        for r in records_of(EXPORT)
        if r.answer == "accept"
    }
    for r in records:
        assert r.meta[META_KEY]["from_name"] == "label"
        assert set(r.meta) == {"source", "gallica", "bio_lines", META_KEY}
        key = (r.annotator, r.meta[META_KEY]["annotation"])
        assert sorted(s.key for s in r.spans or ()) == full[key]


def test_predictions_listed_by_id_only_are_a_notice(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "relecture.formats"):
        records = list(item.record for item in read(need(PRED_IDS), tokens=False))
    assert len(records) == 2
    assert all(r.spans is None and r.suggestions is None and r.answer is None for r in records)
    assert [r.meta[META_KEY]["task"] for r in records] == [7, 8]
    (notice,) = [m for m in caplog.messages if "by id only" in m]
    assert "2 task(s)" in notice


def test_expanded_predictions_are_suggestions_with_scores() -> None:
    records = records_of(PRED_FULL)
    assert len(records) == 2
    assert all(r.answer is None and r.annotator is None and r.spans is None for r in records)
    assert distinct_suggestions(records) == {"DATE": 1, "LOC": 14, "MISC": 1, "ORG": 8, "PER": 13}
    file = raw(PRED_FULL)
    for r, task in zip(records, file, strict=True):
        (p,) = task["predictions"]
        assert [s.score for s in r.suggestions or ()] == [x["score"] for x in p["result"]]
        assert r.meta[META_KEY]["predictions"] == [
            {"id": p["id"], "model_version": p["model_version"], "score": p["score"]}
        ]


def test_legacy_completions_file() -> None:
    (record,) = records_of(LEGACY)
    task = raw(LEGACY)
    (completion,) = task["completions"]
    assert record.annotator is None and record.answer == "accept"
    assert record.text == task["data"]["text"] and record.text.startswith(" ")
    assert per_label([record]) == {"INGREDIENT": 38}
    # kept in the file's order (not text order), each with its region id
    assert [(s.start, s.end, s.extra) for s in record.spans or ()] == [
        (r["value"]["start"], r["value"]["end"], {"id": r["id"]}) for r in completion["result"]
    ]
    assert record.meta[META_KEY] == {
        "task": 348,
        "annotation": 348001,
        "from_name": "ner",
        "to_name": "text",
    }


def test_frontend_examples_task_list_and_single_task_object() -> None:
    (task,) = records_of(TASKS)
    assert task.answer is None and task.spans is None
    assert [(s.start, s.end, s.label, s.source, s.score) for s in task.suggestions or ()] == [
        (343, 354, "Date", "model 1", None)
    ]
    assert task.span_text((task.suggestions or [])[0]) == "February 22"
    (single,) = records_of(SINGLE)
    assert [(s.start, s.end, s.label) for s in single.spans or ()] == [(343, 354, "Date")]
    assert single.answer == "accept" and single.annotator is None
    assert single.meta[META_KEY]["annotation"] == "1001"  # a string id stays a string
    assert set(single.meta) == {META_KEY}  # `task_path` is a key of the task, not of its data


# ---------------------------------------------------------------- round trips of the files


def _annotations(task: dict[str, Any]) -> list[Any]:
    return [
        (
            a.get("id"),
            a.get("completed_by"),
            bool(a.get("was_cancelled")),
            [(r["id"], r["from_name"], r["to_name"], r["type"], r["value"]) for r in a["result"]],
        )
        for a in task.get("annotations", task.get("completions", []))
    ]


def _predictions(task: dict[str, Any]) -> list[Any]:
    expanded = [p for p in task.get("predictions", []) if isinstance(p, dict)]
    copies = [a["prediction"] for a in task.get("annotations", []) if a.get("prediction")]
    unique = {p["id"]: p for p in copies} | {p.get("id"): p for p in expanded}
    return [
        (
            p.get("id"),
            p.get("model_version"),
            p.get("score"),
            [(r["id"], r["value"], r.get("score")) for r in p["result"]],
        )
        for p in unique.values()
    ]


def _tasks(file: Any) -> list[Any]:
    tasks = file if isinstance(file, list) else [file]
    return [(t.get("id"), t["data"], _annotations(t), _predictions(t)) for t in tasks]


def test_export_round_trips_through_our_jsonl_on_the_command_line(tmp_path: Path) -> None:
    ours, back = tmp_path / "ours.jsonl", tmp_path / "back.json"
    result = invoke("convert", str(need(EXPORT)), "-o", str(ours))
    assert result.exit_code == 0, result.output
    result = invoke("convert", str(ours), "-o", str(back), "--to", "labelstudio")
    assert result.exit_code == 0, result.output
    assert "wrote 12 records" in result.stderr
    assert _tasks(raw(back)) == _tasks(raw(EXPORT))
    assert_importable(raw(back))


@pytest.mark.parametrize("path", [PRED_FULL, LEGACY, TASKS, SINGLE, PRED_IDS], ids=lambda p: p.name)
def test_files_round_trip(tmp_path: Path, path: Path) -> None:
    ours, back = tmp_path / "ours.jsonl", tmp_path / "back.json"
    write_records(records_of(path), ours)
    write_records((item.record for item in read(ours)), back, "labelstudio")
    written = raw(back)
    assert_importable(written)
    expected = _tasks(raw(path))
    if path == PRED_IDS:  # nothing to read in the id-only predictions: the tasks alone
        expected = [(tid, data, ann, []) for tid, data, ann, _preds in expected]
    assert _tasks(written) == expected


def test_json_min_is_written_as_full_tasks(tmp_path: Path) -> None:
    back = tmp_path / "back.json"
    write_records(records_of(EXPORT_MIN), back, "labelstudio")
    tasks = raw(back)
    assert_importable(tasks)
    assert [t["id"] for t in tasks] == [1, 2, 3, 4, 5, 6]
    full = {t["id"]: t for t in raw(EXPORT)}
    for task in tasks:
        assert task["data"] == full[task["id"]]["data"]
        # JSON_MIN drops region ids, and user 2's cancelled annotation
        values = [[r["value"] for r in a["result"]] for a in task["annotations"]]
        kept = [a for a in full[task["id"]]["annotations"] if not a["was_cancelled"]]
        assert sorted(map(str, values)) == sorted(
            str([r["value"] for r in a["result"]]) for a in kept
        )
        assert {a["completed_by"] for a in task["annotations"]} == {a["completed_by"] for a in kept}


def assert_importable(tasks: Any) -> None:
    """Label Studio's import format: an array of tasks, each with `data`, `annotations[].result`
    and `predictions[].result` lists of labels regions whose `value.text` is the text there."""
    assert isinstance(tasks, list) and tasks
    for task in tasks:
        assert isinstance(task["data"], dict)
        text = next(v for k, v in task["data"].items() if k == "text" or isinstance(v, str))
        for key in ("annotations", "predictions"):
            for entry in task[key]:
                assert isinstance(entry["result"], list)
                if key == "annotations":
                    assert isinstance(entry["was_cancelled"], bool)
                    assert isinstance(entry["ground_truth"], bool)
                    by = entry.get("completed_by", 0)
                    assert isinstance(by, int) or set(by) == {"email"}
                ids = [r["id"] for r in entry["result"]]
                assert len(ids) == len(set(ids))
                for r in entry["result"]:
                    assert set(r) <= {"id", "from_name", "to_name", "type", "value", "score"}
                    assert r["type"] == "labels" and isinstance(r["id"], str) and r["id"]
                    v = r["value"]
                    assert text[v["start"] : v["end"]] == v["text"]
                    assert v["labels"] and all(isinstance(x, str) for x in v["labels"])


# ---------------------------------------------------------------- Label Studio's own CoNLL


def _conll_blocks(path: Path, docstart: bool) -> list[list[tuple[str, str]]]:
    """Token/tag blocks: one per `-DOCSTART-` (ours: sentences joined) or per blank line (Label
    Studio's: one per annotation)."""
    blocks: list[list[tuple[str, str]]] = [[]]
    for line in path.read_text("utf-8").splitlines():
        cols = line.split()
        if not cols:
            if not docstart and blocks[-1]:
                blocks.append([])
            continue
        if cols[0] == "-DOCSTART-":
            if docstart and blocks[-1]:
                blocks.append([])
            continue
        blocks[-1].append((cols[0], cols[-1]))
    return [b for b in blocks if b]


def _entities(text: str, block: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """The (start, end, label) of each B-/I- run, its tokens found in order in the text."""
    out: list[tuple[int, int, str]] = []
    at = 0
    for token, tag in block:
        start = text.index(token, at)
        at = start + len(token)
        if tag.startswith("B-"):
            out.append((start, at, tag[2:]))
        elif tag.startswith("I-"):
            s, _e, label = out[-1]
            assert label == tag[2:]
            out[-1] = (s, at, label)
    return out


@pytest.mark.parametrize("source", [EXPORT_MIN, EXPORT], ids=lambda p: p.name)
def test_label_studio_conll_agrees_with_our_conll_export(tmp_path: Path, source: Path) -> None:
    """Label Studio tokenises with NLTK's Treebank tokenizer, we with spaCy's, and Label Studio
    tags a span ending inside a token on the whole token: per block (annotation) the B- counts
    per label agree, each entity of theirs holds ours with the same label, and where their
    tokens fall on the span's edges the entity texts are the same."""
    theirs = _conll_blocks(need(EXPORT_CONLL), docstart=False)
    minimal = raw(EXPORT_MIN)  # Label Studio's CoNLL blocks follow the JSON_MIN order
    assert len(theirs) == len(minimal) == 11
    ours: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for user in ("1", "2"):
        out = tmp_path / f"conll-{user}"
        args = ["export", str(need(source)), "-o", str(out), "--format", "conll"]
        result = invoke(*args, "--policy", f"annotator:{user}", "--split", "1")
        assert result.exit_code == 0, result.output
        for block in _conll_blocks(out / "train.conll", docstart=True):
            key = (user, "".join(token for token, _tag in block))
            assert key not in ours
            ours[key] = block
    assert len(ours) == 11  # user 2's cancelled annotation is left out by both
    same_text = 0
    for record, block in zip(minimal, theirs, strict=True):
        text, user = record["text"], str(record["annotator"])
        expected = Counter(r["labels"][0] for r in record["label"])
        mine = ours[(user, re.sub(r"\s", "", text))]
        assert Counter(t[2:] for _w, t in block if t.startswith("B-")) == expected
        assert Counter(t[2:] for _w, t in mine if t.startswith("B-")) == expected
        spans = sorted((r["start"], r["end"], r["labels"][0]) for r in record["label"])
        their_entities = _entities(text, block)
        assert _entities(text, mine) == spans  # ours: the spans exactly (tokens split)
        for (s, e, label), (ts, te, their_label) in zip(spans, their_entities, strict=True):
            assert their_label == label and ts <= s < e <= te
            if (ts, te) == (s, e):
                same_text += 1

    # of 146, the others: "Genève" twice ("Genève." is one Treebank token inside a sentence) and
    # user 2's "Clermont-Ferran", "Ordr" and "Longuema", which end inside a token
    assert same_text == 141


# ---------------------------------------------------------------- any records (hypothesis)

TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)
NAME = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=6)


@st.composite
def records(draw: st.DrawFn) -> list[Record]:
    texts = draw(st.lists(TEXT, min_size=1, max_size=3, unique=True))
    out = []
    for text in texts:
        annotators = draw(
            st.lists(st.none() | NAME | st.integers(0, 99).map(str), max_size=3, unique=True)
        )
        for annotator in annotators:
            spans = []
            for _ in range(draw(st.integers(0, 4))):
                start = draw(st.integers(0, len(text) - 1))
                end = draw(st.integers(start + 1, len(text)))
                spans.append(Span(start, end, draw(NAME)))
            answer = draw(st.sampled_from(ANSWERS))
            out.append(Record(text=text, spans=spans, answer=answer, annotator=annotator))
    return out


def _decisions(records: Any) -> list[Any]:
    return sorted(
        (r.text, r.annotator or "", r.answer, sorted(s.key for s in r.spans or ())) for r in records
    )


@given(records())
def test_any_records_round_trip_through_label_studio(
    tmp_path_factory: Any, recs: list[Record]
) -> None:
    out = tmp_path_factory.mktemp("ls") / "out.json"
    write_records(recs, out, "labelstudio")
    if not recs:
        assert raw(out) == []
        return
    assert_importable(raw(out))
    back = [item.record for item in read(out, tokens=False)]
    assert _decisions(back) == _decisions(recs)


# ---------------------------------------------------------------- the writer's choices


def _write_read(tmp_path: Path, recs: list[Record]) -> tuple[Any, list[Record]]:
    out = tmp_path / "out.json"
    write_records(recs, out, "labelstudio", force=True)
    return raw(out), [item.record for item in read(out, tokens=False)]


def test_answers_and_annotators_label_studio_has_no_field_for(tmp_path: Path) -> None:
    text = "Jean Dupont est chez Renault."
    recs = [
        Record(text=text, spans=[Span(0, 11, "PER")], answer="accept", annotator="2"),
        Record(text=text, spans=[], answer="reject", annotator="alice"),
        Record(text=text, spans=[Span(21, 28, "ORG")], answer="ignore", annotator="007"),
        Record(text=text, spans=[], answer="accept", annotator="ann@lab.fr"),
    ]
    (task,), back = _write_read(tmp_path, recs)
    # an integer is a Label Studio user id, an email is matched to a member on import
    assert [a.get("completed_by") for a in task["annotations"]] == [
        2,
        None,
        None,
        {"email": "ann@lab.fr"},
    ]
    assert [a["was_cancelled"] for a in task["annotations"]] == [False, True, True, False]
    assert [a.get("relecture") for a in task["annotations"]] == [
        None,
        {"annotator": "alice", "answer": "reject"},
        {"annotator": "007"},
        None,
    ]
    assert [(r.annotator, r.answer) for r in back] == [
        ("2", "accept"),
        ("alice", "reject"),
        ("007", "ignore"),
        ("ann@lab.fr", "accept"),
    ]


def test_a_suggest_output_is_predictions_not_annotations(tmp_path: Path) -> None:
    text = "Jean Dupont est chez Renault."
    suggested = [
        Span(0, 11, "PER", source="model:fr", score=0.9),
        Span(21, 28, "ORG", source="rules"),
    ]
    pending = Record(text=text, spans=list(suggested), suggestions=list(suggested))
    reviewed = Record(
        text=text, spans=suggested[:1], suggestions=list(suggested), answer="accept", annotator="1"
    )
    (task,), _back = _write_read(tmp_path, [pending])
    assert task["annotations"] == []
    assert [(p["model_version"], len(p["result"])) for p in task["predictions"]] == [
        ("model:fr", 1),
        ("rules", 1),
    ]
    assert task["predictions"][0]["result"][0]["score"] == 0.9
    (task,), back = _write_read(tmp_path, [pending, reviewed])
    assert len(task["annotations"]) == 1 and len(task["predictions"]) == 2  # not doubled
    assert [len(r.suggestions or ()) for r in back] == [2]


def test_latest_record_per_annotator_is_the_annotation(tmp_path: Path) -> None:
    text = "Jean Dupont."
    first = Record(text=text, spans=[Span(0, 4, "PER")], answer="accept", annotator="1")
    again = Record(text=text, spans=[Span(0, 11, "PER")], answer="accept", annotator="1")
    (task,), _back = _write_read(tmp_path, [first, again])
    assert [[r["value"]["text"] for r in a["result"]] for a in task["annotations"]] == [
        ["Jean Dupont"]
    ]


def test_an_annotation_id_is_written_once_per_task(tmp_path: Path) -> None:
    """`annotate` copies the source record's meta: a new annotator's record made from user 1's
    holds user 1's annotation id, which must not be written twice."""
    user1 = records_of(EXPORT)[0]
    mine = Record(text=user1.text, meta=user1.meta, spans=[], answer="accept", annotator="me")
    (task,), back = _write_read(tmp_path, [user1, mine])
    assert [(a.get("id"), a.get("relecture")) for a in task["annotations"]] == [
        (1, None),
        (None, {"annotator": "me"}),
    ]
    assert [r.annotator for r in back] == ["1", "me"]


def test_meta_label_studio_of_any_shape_is_no_crash(tmp_path: Path) -> None:
    junk = {"task": [1], "annotation": {}, "text_key": 3, "from_name": 1, "predictions": [2, {}]}
    meta = {META_KEY: junk, "x": 1}
    suggestion = Span(0, 4, "PER", source="m", extra={"id": [1], "from_name": 2})
    rec = Record(text="Jean", meta=meta, spans=[], suggestions=[suggestion], answer="accept")
    (task,), back = _write_read(tmp_path, [rec, rec])
    assert set(task) == {"data", "annotations", "predictions"} and task["data"] == {
        "text": "Jean",
        "x": 1,
    }
    assert [r.answer for r in back] == ["accept"]


def test_region_with_two_labels_is_two_spans_and_one_region_again(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    region = {"id": "r1", "from_name": "ner", "to_name": "doc", "type": "labels"}
    region["value"] = {"start": 0, "end": 4, "text": "Jean", "labels": ["PER", "ORG"]}
    task = {
        "id": 4,
        "data": {"body": "Jean", "n": 3},
        "annotations": [{"id": 9, "result": [region]}],
    }
    path.write_text(json.dumps([task]), "utf-8")
    (record,) = [item.record for item in read(path, tokens=False)]
    assert [s.key for s in record.spans or ()] == [(0, 4, "PER"), (0, 4, "ORG")]
    assert record.meta == {"n": 3, META_KEY: record.meta[META_KEY]}
    assert record.meta[META_KEY]["text_key"] == "body"
    out = tmp_path / "out.json"
    write_records([record], out, "labelstudio")
    (written,) = raw(out)
    assert written["data"] == {"body": "Jean", "n": 3}
    (result,) = written["annotations"][0]["result"]
    assert result == region


# ---------------------------------------------------------------- reading: choices and errors


def _read(tmp_path: Path, value: Any) -> list[Record]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    return [item.record for item in read(path, tokens=False)]


def _region(
    start: int, end: int, label: str, text: str | None = None, **extra: Any
) -> dict[str, Any]:
    value: dict[str, Any] = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"type": "labels", "from_name": "label", "to_name": "text", "value": value, **extra}


def test_other_results_are_one_notice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    results = [
        _region(0, 4, "PER", "Jean"),
        {"type": "choices", "value": {"choices": ["news"]}},
        {"type": "relation", "from_id": "a", "to_id": "b"},
        {"type": "choices", "value": {"choices": ["sport"]}},
        _region(5, 11, "ORG", "Dupont") | {"value": {"start": 5, "end": 11, "labels": []}},
    ]
    task = {
        "data": {"text": "Jean Dupont"},
        "annotations": [{"completed_by": {"id": 5, "email": "x@y"}, "result": results}],
    }
    with caplog.at_level(logging.WARNING, "relecture.formats"):
        (record,) = _read(tmp_path, task)
    assert record.annotator == "5" and [s.key for s in record.spans or ()] == [(0, 4, "PER")]
    (notice,) = caplog.messages
    assert "2 choices results, 1 relation result, 1 region without a label" in notice


def test_skipped_and_anonymous_completions(tmp_path: Path) -> None:
    task = {
        "data": {"text": "Jean"},
        "completions": [{"skipped": True, "result": [_region(0, 4, "PER")]}],
    }
    (record,) = _read(tmp_path, task)
    assert (record.annotator, record.answer, len(record.spans or ())) == (None, "ignore", 1)


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (
            {"data": {"text": "Jean"}, "annotations": [{"result": [_region(0, 9, "PER")]}]},
            "out of range",
        ),
        (
            {"data": {"text": "Jean"}, "annotations": [{"result": [_region(0, 4, "PER", "Paul")]}]},
            "does not match",
        ),
        ({"data": {"n": 3}, "annotations": [{"result": []}]}, "no text field"),
        (
            {"data": {"text": "Jean"}, "annotations": [{"result": [_region(0, True, "PER")]}]},
            "must be integers",
        ),
        ({"data": {"a": "Jean", "b": "Paul"}, "predictions": []}, "cannot tell which field"),
        ({"text": "Jean", "label": [[0, 4, "PER"]]}, "not a Label Studio task"),
        (
            {"data": {"text": "Jean"}, "annotations": [{"completed_by": [1], "result": []}]},
            "user id",
        ),
    ],
)
def test_bad_tasks_name_the_task(tmp_path: Path, value: Any, phrase: str) -> None:
    with pytest.raises(InputError) as caught:
        _read(tmp_path, [{"id": 1, "data": {"text": "fine"}}, {"id": 31, **value}])
    assert phrase in str(caught.value)
    assert "task 31" in str(caught.value)


@pytest.mark.parametrize(
    ("result", "phrase"),
    [
        (
            {"type": "choices", "value": {"choices": ["A"]}},
            "no labels result, only 2 choices results",
        ),
        ({"type": "rectanglelabels", "to_name": "image"}, "only 2 rectanglelabels results"),
    ],
)
def test_a_file_without_labels_results_is_refused(tmp_path: Path, result: Any, phrase: str) -> None:
    task = {"data": {"image": "a.png"}, "annotations": [{"result": [result]}]}
    with pytest.raises(InputError, match=phrase):
        _read(tmp_path, [task, task])


def test_utf16_offsets_are_an_error_with_a_hint(tmp_path: Path) -> None:
    text = "🎉 Renault et Paul"
    with pytest.raises(InputError, match="UTF-16 units"):
        _read(
            tmp_path,
            {
                "data": {"text": text},
                "annotations": [{"result": [_region(3, 10, "ORG", "Renault")]}],
            },
        )
    (record,) = _read(
        tmp_path,
        {"data": {"text": text}, "annotations": [{"result": [_region(2, 9, "ORG", "Renault")]}]},
    )
    assert record.span_text((record.spans or [])[0]) == "Renault"


def test_the_text_field_is_the_one_the_regions_match(tmp_path: Path) -> None:
    data = {"title": "Paul", "body": "Jean Dupont"}
    region = _region(0, 4, "PER", "Jean") | {"to_name": "doc"}
    (record,) = _read(tmp_path, {"data": data, "annotations": [{"result": [region]}]})
    assert record.text == "Jean Dupont" and record.meta == {
        "title": "Paul",
        META_KEY: record.meta[META_KEY],
    }
    region = _region(0, 4, "PER", "Jean") | {"source": "$body"}
    (record,) = _read(
        tmp_path, {"data": {"text": "Jean Paul", **data}, "annotations": [{"result": [region]}]}
    )
    assert record.text == "Jean Dupont"
