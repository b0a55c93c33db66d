"""The streaming export (two passes over JSONL inputs, in worker processes) writes the same files,
byte for byte, as the in-memory path (every record read whole first: `export_records`)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import orjson
import pytest

from annotations.align import Policy
from annotations.errors import InputError, UsageError
from annotations.export import FORMATS, Options, export, export_records
from annotations.export.options import NoProgress
from annotations.export.run import read_inputs
from annotations.records import Record, Span
from tests.conftest import REFERENCE, need

WORDS = ["Paris", "Lyon", "Renault", "Marie", "Curie", "le", "la", "de", "à", "un", "et", "banque"]
LABELS = ["PER", "ORG", "LOC"]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _both(inputs: list[Path], tmp: Path, options: Options) -> tuple[dict[str, bytes], ...]:
    """The export's files from memory, streamed in this process, and streamed on 2 workers."""
    out = tmp / "out"
    results = []
    warnings: list[list[str]] = []
    records = read_inputs(
        inputs, options.input_format, Policy(options.align), lambda m: None, NoProgress()
    )
    res = export_records(records, out, options, inputs=[str(p) for p in inputs])
    results.append(_files(out))
    warnings.append(res.warnings)
    for processes in (1, 2):
        shutil.rmtree(out)
        options.processes = processes
        res = export(inputs, out, options)
        results.append(_files(out))
        warnings.append(res.warnings)
    shutil.rmtree(out)
    assert warnings[0] == warnings[1] == warnings[2]
    return tuple(results)


def _assert_same(results: tuple[dict[str, bytes], ...]) -> None:
    memory, inline, workers = results
    assert sorted(memory) == sorted(inline) == sorted(workers)
    for name in memory:
        assert memory[name] == inline[name], name
        assert memory[name] == workers[name], name


def _records(n: int, seed: int, annotators: tuple[str, ...], with_tokens: bool) -> list[Record]:
    from annotations.tokenize import tokenize

    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 30))]
        text = " ".join(words) + "."
        if i % 17 == 5:
            text = "   "  # whitespace only: left out, counted
        for who in annotators:
            spans = []
            pos = 0
            for w in words:
                if w[0].isupper() and rng.random() < 0.6:
                    spans.append(Span(pos, pos + len(w), rng.choice(LABELS)))
                pos += len(w) + 1
            if rng.random() < 0.2 and len(text) > 4:
                spans.append(Span(1, 3, "PER"))  # off token boundaries: aligned, reported
                spans.sort(key=lambda s: (s.start, s.end))
                spans = [s for j, s in enumerate(spans) if j == 0 or s.start >= spans[j - 1].end]
            if text.isspace():
                spans = []
            answer = rng.choice(["accept", "accept", "accept", "reject", "ignore", None])
            record = Record(text=text, spans=spans, answer=answer, annotator=who)
            if with_tokens and not text.isspace():
                record.tokens = tokenize(text)
            out.append(record.with_hashes())
    rng.shuffle(out)
    return out


def _write(path: Path, records: list[Record], drop_hash: bool = False) -> Path:
    with open(path, "wb") as fh:
        for record in records:
            d = record.to_dict()
            if drop_hash:
                d.pop("_input_hash", None)
                d.pop("_task_hash", None)
            fh.write(orjson.dumps(d) + b"\n")
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_the_same_streamed_as_in_memory(tmp_path: Path, fmt: str) -> None:
    src = _write(tmp_path / "a.jsonl", _records(60, 1, ("ann",), with_tokens=False))
    _assert_same(_both([src], tmp_path, Options(fmt=fmt)))


@pytest.mark.parametrize("policy", ["majority", "all", "annotator:bob"])
def test_several_annotators_with_each_policy(tmp_path: Path, policy: str) -> None:
    records = _records(50, 2, ("alice", "bob", "chloe"), with_tokens=True)
    # an annotator changes their mind: the later record wins
    records += [
        Record(text=r.text, spans=[], answer="reject", annotator=r.annotator).with_hashes()
        for r in records[:10]
    ]
    src = _write(tmp_path / "a.jsonl", records)
    for fmt in ("hf", "jsonl", "conll"):
        _assert_same(_both([src], tmp_path, Options(fmt=fmt, policy=policy, any_label=True)))


def test_files_without_annotator_ids_are_named_by_file(tmp_path: Path) -> None:
    records = _records(30, 3, ("x",), with_tokens=False)
    for r in records:
        r.annotator = None
    a = _write(tmp_path / "alice.jsonl", records)
    b = _write(tmp_path / "bruno.jsonl", list(reversed(records)), drop_hash=True)
    _assert_same(_both([a, b], tmp_path, Options(fmt="hf", policy="all")))


def test_colliding_hashes_are_two_articles_streamed_too(tmp_path: Path) -> None:
    one = Record(text="Marie à Paris.", spans=[Span(0, 5, "PER")], answer="accept")
    two = Record(text="Renault à Lyon.", spans=[Span(0, 7, "ORG")], answer="accept")
    one.input_hash = two.input_hash = 42
    src = _write(tmp_path / "a.jsonl", [one.with_hashes(), two.with_hashes()])
    memory, inline, workers = _both([src], tmp_path, Options(fmt="jsonl", split="1"))
    assert memory == inline == workers
    assert memory["train.jsonl"].count(b"\n") == 2


def test_prodigy_reference_files(tmp_path: Path) -> None:
    folder = need(REFERENCE / "prodigy_explosion_projects")
    for name in ("emerson_annotated_text.jsonl", "test_annotated.jsonl"):
        for fmt in ("hf", "spacy", "prodigy"):
            _assert_same(_both([folder / name], tmp_path, Options(fmt=fmt, any_label=True)))


def test_multi_annotator_reference_file(tmp_path: Path) -> None:
    src = need(REFERENCE / "derived" / "bratiaa_as_prodigy_multiannotator.jsonl")
    for policy in ("majority", "all"):
        _assert_same(_both([src], tmp_path, Options(fmt="hf", policy=policy, any_label=True)))


def test_a_bad_line_is_its_file_and_line(tmp_path: Path) -> None:
    records = _records(10, 4, ("ann",), with_tokens=False)
    src = _write(tmp_path / "a.jsonl", records)
    lines = src.read_bytes().splitlines(keepends=True)
    for bad, message in (
        (b'{"text": "x", "answer": "maybe"}\n', "'answer' must be one of"),
        (b'{"text": 3}\n', "'text' must be a string, got integer"),
        (b'{"text": "x", "spans": [{"start": 0, "end": 9, "label": "PER"}]}\n', "out of range"),
        (b'{"text": "x",\n', "invalid JSON"),
    ):
        src.write_bytes(b"".join([*lines[:4], bad, *lines[4:]]))
        with pytest.raises(InputError, match=message) as exc:
            export([src], tmp_path / "out", Options(fmt="jsonl", split="1"))
        assert str(exc.value).startswith(f"{src}:5: ")
        assert not (tmp_path / "out").exists()


def test_nothing_accepted_is_the_same_message(tmp_path: Path) -> None:
    rec = Record(text="Marie à Paris.", spans=[], answer="reject").with_hashes()
    src = _write(tmp_path / "a.jsonl", [rec])
    with pytest.raises(UsageError, match="nothing to export: no accepted article"):
        export([src], tmp_path / "out", Options(fmt="hf", processes=2))


def _killing_build(spec: object, chunk: object) -> object:
    """Pass 2 as it is, except that the worker running the second chunk is SIGKILLed."""
    import os
    import signal

    from annotations.export import chunks

    global _CHUNKS_SEEN
    _CHUNKS_SEEN += 1
    if os.getpid() != _PARENT and _CHUNKS_SEEN >= 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return chunks.build(spec, chunk)  # type: ignore[arg-type]


_CHUNKS_SEEN = 0
_PARENT = 0


def test_a_worker_killed_mid_export_leaves_dir_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import annotations.export.run as run
    from annotations.export import chunks
    from annotations.stream.runner import WorkerLost

    global _PARENT
    _PARENT = os.getpid()
    src = _write(tmp_path / "a.jsonl", _records(300, 5, ("ann",), with_tokens=True))
    out = tmp_path / "out"
    monkeypatch.setattr(chunks, "CHUNK", 20)  # many chunks: workers die mid-way
    export([src], out, Options(fmt="hf", processes=1))
    before = _files(out)
    monkeypatch.setattr(run, "build", _killing_build)
    with pytest.raises(WorkerLost, match="worker process died"):
        export([src], out, Options(fmt="hf", processes=2, force=True))
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "out"]  # no leftovers
    monkeypatch.setattr(run, "build", chunks.build)
    export([src], out, Options(fmt="hf", processes=2, force=True))
    assert _files(out) == before


def test_the_fast_way_takes_only_what_the_whole_way_takes_as_it_is() -> None:
    """`lean` refuses every line the whole way would refuse, align or warn about."""
    from annotations.checks import problems
    from annotations.export.lean import lean, plain
    from annotations.tokenize import tokenize

    text = "Marie Curie à Paris."
    good = Record(text=text, spans=[Span(0, 11, "PER"), Span(14, 19, "LOC")]).with_hashes()
    good.tokens = tokenize(text)
    for span in good.spans or ():
        span.token_start = next(t.id for t in good.tokens if t.start == span.start)
        span.token_end = next(t.id for t in good.tokens if t.end == span.end)
    allowed = frozenset(LABELS)
    base = orjson.loads(good.to_json())
    fast = lean(orjson.dumps(base), allowed)
    assert fast is not None and fast.token_texts == [t.text for t in good.tokens]
    assert [(s.start, s.end, s.token_start, s.token_end) for s in fast.spans] == [
        (0, 11, 0, 1),
        (14, 19, 3, 3),
    ]

    def changed(path: str, value: object) -> dict[str, object]:
        obj = orjson.loads(good.to_json())
        where, i, key = path.split(".")
        obj[where][int(i)][key] = value
        return obj

    bad = {
        "token text": changed("tokens.1.text", "Curry"),
        "token id": changed("tokens.2.id", 7),
        "ws null": changed("tokens.0.ws", None),
        "float offset": changed("tokens.1.start", 6.0),
        "bool offset": changed("tokens.0.start", False),
        "span off its tokens": changed("spans.0.token_end", 2),
        "unknown label": changed("spans.1.label", "COMPANY"),
        "overlap": changed("spans.1.start", 6),
    }
    for why, obj in bad.items():
        assert lean(orjson.dumps(obj), allowed) is None, why
    assert problems(bad["token text"]) and problems(bad["token id"])  # errors, said whole
    plain_obj = {"text": text, "spans": [{"start": 0, "end": 11, "label": "PER"}]}
    fast = plain(plain_obj, allowed)
    assert fast is not None and fast.spans[0].token_end == 1
    for off in ({"start": 0, "end": 4, "label": "PER"}, {"start": 0, "end": 6, "label": "PER"}):
        assert plain({"text": text, "spans": [off]}, allowed) is None  # inside a token / a space


def _tokens_line(second: str) -> bytes:
    words = [("Paris", 0, 5), (second, 6, 9), ("belle", 10, 15), (".", 15, 16)]
    tokens = [
        {"text": w, "start": a, "end": b, "id": i, "ws": True} for i, (w, a, b) in enumerate(words)
    ]
    spans = [{"start": 0, "end": 5, "label": "LOC", "token_start": 0, "token_end": 0}]
    return orjson.dumps({"text": "Paris est belle.", "tokens": tokens, "spans": spans})


@pytest.mark.parametrize(
    "lines",
    [
        # found by a review: what simdjson reads otherwise than orjson, and lines no row holds
        [b'{"text": "Paris est belle.", "meta": {"n": 123456789012345678901234567890}}'],
        [b'{"text": "Paris est belle.", "meta": {"n": 18446744073709551616}}'],
        [b'{"text": " ", "text": "Paris est belle.", "answer": "accept"}'],
        [
            b'{"text": "Paris est belle.", "_annotator_id": "x", "_annotator_id": "y"}',
            b'{"text": "Lyon aussi.", "_annotator_id": "y"}',
        ],
        [
            b'{"text": "Paris est belle.", "answer": "accept"}',
            b'{"text": "Lyon aussi.", "answer": "reject", "spans": [{"start": 5, "end": 2, "label": "LOC"}]}',
        ],
        [
            b'{"text": "Paris est belle.", "spans": [{"start": 0, "end": 40, "label": "LOC"}]}',
            b'{"text": "Paris est belle.", "spans": [{"start": 0, "end": 5, "label": "LOC"}]}',
        ],
        # lines no row holds, with tokens (checked by msgspec first): a bad one, a good one
        [_tokens_line("ets"), _tokens_line("est")],
        [_tokens_line("est"), _tokens_line("est")],
    ],
)
def test_what_the_whole_read_refuses_or_takes_so_does_the_stream(
    tmp_path: Path, lines: list[bytes]
) -> None:
    src = tmp_path / "a.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    outcomes = []
    for streamed in (False, True):
        out = tmp_path / "out"
        try:
            if streamed:
                res = export([src], out, Options(fmt="jsonl", split="1", any_label=True))
            else:
                records = read_inputs([src], None, Policy.SPLIT, lambda m: None, NoProgress())
                options = Options(fmt="jsonl", split="1", any_label=True)
                res = export_records(records, out, options, inputs=[str(src)])
            outcomes.append(("ok", _files(out), res.report_lines()))
            shutil.rmtree(out)
        except (InputError, UsageError) as exc:
            outcomes.append(("error", str(exc), []))
    assert outcomes[0] == outcomes[1]
