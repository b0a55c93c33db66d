"""`agree` and `stats` read on every core (`stream.lean`, `agreement.collect`, `stats.Tally`) say
exactly what the record-by-record path says: the same `agree --json` and tables, byte for byte,
the same counts, and for bad input the same `file:line: message`, on the reference files and on
generated data, in one process and in worker processes over small byte ranges."""

from __future__ import annotations

import functools
import io
import os
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

import annotations.agreement.chunks as chunks
import annotations.agreement.index as index
import annotations.stream.lean as lean
from annotations.agreement import AgreementError, agreement_report, records_from_files
from annotations.agreement.collect import report_from_files
from annotations.agreement.index import RecordIndex
from annotations.agreement.report import AgreementReport
from annotations.cli.agree import render
from annotations.errors import InputError
from annotations.formats import read
from annotations.identity import by_article
from annotations.records import Record
from annotations.stats import Stats, file_stats
from annotations.store.latest import latest
from annotations.stream.progress import Silent
from tests.bench.bench_agree import annotated_files
from tests.conftest import REFERENCE

BRAT = REFERENCE / "bratiaa_example" / "example-files" / "example-project"
AS_PRODIGY = REFERENCE / "derived" / "bratiaa_as_prodigy_multiannotator.jsonl"
DOCCANO = REFERENCE / "derived" / "doccano_per_user"
PRODIGY = REFERENCE / "prodigy_explosion_projects"


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes over parts of ~2 KB (many parts per file) and chunks of 3 articles,
    however small the input; pass 1 keeps a few lines with tokens, pass 2 reads the others."""
    _workers(monkeypatch)


def _workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lean, "PARALLEL_FROM", 0)
    monkeypatch.setattr(lean, "PART_BYTES", 2048)
    monkeypatch.setattr(chunks, "CHUNK", 3)  # α_U's gaps across chunks, among others
    monkeypatch.setattr(index, "KEEP_BYTES", 20_000)


@pytest.fixture(params=["one process", "workers"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """In this process, or as `workers`."""
    if request.param == "workers":
        _workers(monkeypatch)
    return str(request.param)


def _table(report: AgreementReport) -> str:
    console = Console(file=io.StringIO(), width=120)
    render(report, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def _reports(
    make: Callable[[str], AgreementReport], pieces: bool = False
) -> list[tuple[bytes, str]] | str:
    """`agree --json` and the tables, for both match modes; or the error. `pieces`: the JSON as
    `agree --json` writes it (`AgreementReport.json`), checked to be `as_dict()`'s."""
    try:
        reports = [make(match) for match in ("exact", "overlap")]
    except (AgreementError, InputError) as exc:
        return f"{type(exc).__name__}: {exc}"
    out = []
    for r in reports:
        whole = orjson.dumps(r.as_dict())
        if pieces:
            assert b"".join(r.json()) == whole
        out.append((whole, _table(r)))
    return out


def _same(files: list[Path]) -> None:
    """The record-by-record path and the new one say the same, byte for byte (each reads the
    files once for both match modes)."""
    records = functools.cache(lambda: records_from_files(files))
    old = _reports(lambda match: agreement_report(records(), match))
    new = _reports(lambda match: report_from_files(files, match, processes=2), pieces=True)
    assert old == new


REFERENCE_SETS = {
    "prodigy, 4 annotators in one file": lambda: [AS_PRODIGY],
    "doccano, one file per annotator": lambda: sorted(DOCCANO.glob("*.jsonl")),
    "brat project, one folder per annotator": lambda: [BRAT],
    "brat folder and prodigy file together": lambda: [BRAT / "Lisa", AS_PRODIGY],
    "prodigy files sharing no article": lambda: [
        PRODIGY / "fashion_brands_eval.jsonl",
        PRODIGY / "test_annotated.jsonl",
    ],
}


@pytest.mark.parametrize("name", list(REFERENCE_SETS))
def test_reference_files_give_the_same_report(name: str, workers: None) -> None:
    files = REFERENCE_SETS[name]()
    if not all(p.exists() for p in files) or not files:
        pytest.skip(f"reference data not available: {REFERENCE}")
    _same(files)


def test_generated_files_with_tokens(tmp_path: Path, mode: str) -> None:
    """Three annotators with tokens; superseded lines, rejected and ignored records."""
    _same(annotated_files(tmp_path, 40, seed=3))


def test_generated_files_without_tokens(tmp_path: Path, mode: str) -> None:
    """No tokens: the articles are tokenised (by the workers on the new path)."""
    _same(annotated_files(tmp_path, 25, seed=5, tokens=False, annotators=("ana", "ben")))


def test_more_files_than_one_task_takes(tmp_path: Path, workers: None) -> None:
    """Six annotators: the k-th parts of their files make two tasks."""
    names = ("ana", "ben", "cid", "dan", "eve", "fay")
    _same(annotated_files(tmp_path, 12, seed=9, annotators=names))


def _line(text: str, h: int | None, annotator: str | None, **extra: Any) -> bytes:
    obj: dict[str, Any] = {"text": text, **extra}
    if h is not None:
        obj["_input_hash"] = h
    if annotator is not None:
        obj["_annotator_id"] = annotator
    return orjson.dumps(obj)


def test_collisions_superseded_records_and_odd_lines(tmp_path: Path, mode: str) -> None:
    """Two texts under one hash are two articles (`HASH-2`); the latest line per annotator and
    article wins, an earlier one with spans included; a BOM, CRLF and blank lines are read."""
    a, b = "Jean Dupont est à Paris.", "Marie Curie vit à Lyon."
    sp = [{"start": 0, "end": 4, "label": "PER"}]
    sp2 = [{"start": 5, "end": 11, "label": "PER"}, {"start": 5, "end": 11, "label": "PER"}]
    one = [
        _line(a, 7, "ana", spans=sp, meta={"doc_id": "d1"}),
        _line(b, 7, "ana", spans=sp2),
        _line(a, 7, "ana", spans=sp2, answer="accept"),  # replaces the first line
        _line(b, None, "ana", spans=[], answer="reject"),
    ]
    two = [
        _line(b, 7, None, spans=sp),
        _line(a, 7, None, spans=sp, meta={"source": "s.txt"}),
        _line(b, None, None, spans=sp2, answer="ignore"),
    ]
    f1 = tmp_path / "ana.jsonl"
    f1.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(one) + b"\r\n\r\n   \n")
    f2 = tmp_path / "ben.jsonl"
    f2.write_bytes(b"\n\n" + b"\n".join(two))
    _same([f1, f2])


def test_hashes_of_64_bits_and_negative_ones(tmp_path: Path, mode: str) -> None:
    """Input hashes from -2^63 to 2^64 - 1 (what orjson reads), a collision among them."""
    sp = [{"start": 0, "end": 4, "label": "PER"}]
    lines = [
        _line("Jean Dupont.", (1 << 64) - 1, None, spans=sp),
        _line("Marie Curie.", (1 << 64) - 1, None, spans=sp),
        _line("Paul Martin.", -(1 << 63), None, spans=[]),
        _line("Anne Morel.", (1 << 63) - 1, None, spans=sp),
    ]
    ana = _put(tmp_path / "ana.jsonl", b"\n".join(lines))
    ben = _put(tmp_path / "ben.jsonl", b"\n".join(lines[::-1]))
    _same([ana, ben])


def test_a_superseded_record_is_not_kept(tmp_path: Path) -> None:
    """Pass 1 keeps one record per annotator and article: the latest line, to read again."""
    ana = tmp_path / "ana.jsonl"
    lines = [_line("Jean Dupont.", 1, "ana", spans=[], meta={"id": f"v{k}"}) for k in range(5)]
    ana.write_bytes(b"\n".join(lines) + b"\n")
    ben = _put(tmp_path / "ben.jsonl", _line("Jean Dupont.", 1, "ben") + b"\n")
    table = RecordIndex(["ana", "ben"])
    lean.read_files(
        [ana, ben],
        None,
        True,
        on_part=table.add_part,
        on_record=lambda i, record: None,
        progress=Silent(),
    )
    plan = table.plan([str(ana), str(ben)])
    assert plan.articles == 1 and plan.names == ["ana", "ben"]
    assert plan.start.tolist() == [4 * (len(lines[0]) + 1), 0]
    assert plan.length.tolist() == [len(lines[4]), len(_line("Jean Dupont.", 1, "ben"))]


# --- bad input: the same one-line error ----------------------------------------------------

GOOD = orjson.dumps(
    {
        "text": "Jean Dupont",
        "tokens": [
            {"text": "Jean", "start": 0, "end": 4, "id": 0, "ws": True},
            {"text": "Dupont", "start": 5, "end": 11, "id": 1, "ws": False},
        ],
        "spans": [{"start": 0, "end": 11, "label": "PER", "token_start": 0, "token_end": 1}],
    }
)


def _with(**change: Any) -> bytes:
    obj = orjson.loads(GOOD)
    obj.update(change)
    return orjson.dumps(obj)


def _token(i: int, **change: Any) -> bytes:
    obj = orjson.loads(GOOD)
    obj["tokens"][i].update(change)
    return orjson.dumps(obj)


BAD_LINES: dict[str, bytes] = {
    "invalid JSON": b'{"text": "Jean",',
    "not an object": b"[1, 2]",
    "no text": b'{"spans": []}',
    "NUL byte": b'{"text": "Je\x00an"}',
    "bad UTF-8": b'{"text": "caf\xe9"}',
    "token id out of order": _token(1, id=3),
    "token text wrong": _token(0, text="Jaen"),
    "token ws not a boolean": _token(0, ws="yes"),
    # a value msgspec would skip without reading it (a key its structs do not have)
    "bad UTF-8 in a token's other key": GOOD.replace(b'"ws":true}', b'"ws":true,"x":"caf\xe9"}', 1),
    "token ws null (accepted)": _token(0, ws=None),
    "token without ws (accepted)": orjson.dumps(
        {"text": "Jean", "tokens": [{"text": "Jean", "start": 0, "end": 4, "id": 0}]}
    ),
    "token start a boolean": _token(0, start=False),
    "token offsets beyond the text": _token(1, start=5, end=40, text="Dupont"),
    "token end past int64": _token(1, end=(1 << 64) - 1),
    "token end past 64 bits": GOOD.replace(b'"end":11', b'"end":' + b"9" * 30),
    "tokens overlapping": _token(1, start=3),
    "tokens not a list": _with(tokens={"a": 1}),
    "span beyond its tokens": _with(
        spans=[{"start": 0, "end": 11, "label": "PER", "token_start": 0, "token_end": 2}]
    ),
    "span tokens not covering it": _with(
        spans=[{"start": 0, "end": 11, "label": "PER", "token_start": 1, "token_end": 1}]
    ),
    "suggestion tokens not covering it": _with(
        suggestions=[{"start": 0, "end": 4, "label": "PER", "token_start": 1, "token_end": 1}]
    ),
    "span empty": _with(spans=[{"start": 3, "end": 3, "label": "PER"}]),
    "span not an object": _with(spans=["PER"]),
    "span token_start a string": _with(
        spans=[{"start": 0, "end": 11, "label": "PER", "token_start": "0", "token_end": 1}]
    ),
    # a list where an offset is due, on good token indices: compared as numpy broadcasts it,
    # it once raised a ValueError (a traceback, not the line's error)
    "span start a list": _with(
        spans=[{"start": [], "end": 4, "label": "PER", "token_start": 0, "token_end": 0}]
    ),
    "span token_start negative": _with(
        spans=[{"start": 0, "end": 11, "label": "PER", "token_start": -1, "token_end": 1}]
    ),
    "span token_start a float": _with(
        spans=[{"start": 0, "end": 11, "label": "PER", "token_start": 0.0, "token_end": 1}]
    ),
    "blank tokens (accepted)": orjson.dumps(
        {
            "text": "Jean  Dupont",
            "tokens": [
                {"text": "Jean", "start": 0, "end": 4, "id": 0, "ws": False},
                {"text": "  ", "start": 4, "end": 6, "id": 1, "ws": False},
                {"text": "", "start": 6, "end": 6, "id": 2, "ws": False},
                {"text": "Dupont", "start": 6, "end": 12, "id": 3, "ws": False},
            ],
            "spans": [{"start": 6, "end": 12, "label": "PER", "token_start": 3, "token_end": 3}],
        }
    ),
    "answer unknown": _with(answer="maybe"),
    "annotator not a string": _with(_annotator_id=3),
    "input hash a boolean": _with(_input_hash=True),
}


def _deep() -> bytes:
    value: Any = []
    for _ in range(210):
        value = [value]
    return _with(extra=value)


BAD_LINES["free-form value nested too deep"] = _deep()


def _error(fn: Callable[[], object]) -> str:
    try:
        fn()
    except (InputError, AgreementError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_a_bad_line_gives_the_same_error(tmp_path: Path, name: str) -> None:
    good = tmp_path / "ana.jsonl"
    good.write_bytes(GOOD + b"\n")
    bad = tmp_path / "ben.jsonl"
    bad.write_bytes(b"\n".join([GOOD, GOOD, BAD_LINES[name], GOOD]) + b"\n")
    files = [good, bad]
    old = _error(lambda: agreement_report(records_from_files(files)))
    assert old == _error(lambda: report_from_files(files, processes=2))
    stats_old = _error(lambda: _old_compute(item.record for item in read(bad)))
    assert stats_old == _error(lambda: file_stats(bad))


FILE_CASES: dict[str, Callable[[Path], list[Path]]] = {
    "empty file": lambda tmp: [_put(tmp / "a.jsonl", b""), _put(tmp / "b.jsonl", GOOD)],
    "only a BOM": lambda tmp: [_put(tmp / "a.jsonl", b"\xef\xbb\xbf"), _put(tmp / "b.jsonl", GOOD)],
    "only blank lines": lambda tmp: [
        _put(tmp / "b.jsonl", GOOD),
        _put(tmp / "a.jsonl", b"\n  \n\r\n"),
    ],
    "UTF-16": lambda tmp: [_put(tmp / "a.jsonl", "\ufeff" + GOOD.decode(), "utf-16")],
    "a later file missing after a bad line": lambda tmp: [
        _put(tmp / "a.jsonl", GOOD + b"\n{bad\n"),
        tmp / "missing.jsonl",
    ],
    "a missing file first": lambda tmp: [tmp / "missing.jsonl", _put(tmp / "a.jsonl", GOOD)],
    "a folder with nothing to read": lambda tmp: [
        _folder(tmp / "empty"),
        _put(tmp / "a.jsonl", GOOD),
    ],
    "one annotator": lambda tmp: [_put(tmp / "a.jsonl", GOOD)],
}


def _put(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("name", list(FILE_CASES))
def test_a_bad_file_gives_the_same_error(tmp_path: Path, name: str) -> None:
    files = FILE_CASES[name](tmp_path)
    old = _error(lambda: agreement_report(records_from_files(files)))
    assert old != "no error"
    assert old == _error(lambda: report_from_files(files, processes=2))


def test_an_overlong_line_gives_the_same_error(tmp_path: Path, workers: None) -> None:
    from annotations.store.lines import MAX_LINE_BYTES

    long = b" " * (MAX_LINE_BYTES + 10)
    path = _put(tmp_path / "a.jsonl", b"\xef\xbb\xbf" + b"\n".join([GOOD, long, GOOD]))
    old = _error(lambda: list(read(path)))
    assert ":2: line is" in old
    assert old == _error(lambda: file_stats(path))


# --- stats ---------------------------------------------------------------------------------


def _old_compute(records: Iterable[Record]) -> Stats:
    """`stats.compute` as it was: every record held, then counted."""
    stats = Stats()
    all_records = list(records)
    stats.lines = len(all_records)
    current = latest(all_records)
    stats.records = len(current)
    stats.articles = len(by_article((r, None) for r in current))
    for r in current:
        stats.answers[r.answer or "(none)"] += 1
        stats.annotators[r.annotator or "(none)"] += 1
        for span in r.spans or ():
            stats.labels[span.label] += 1
    return stats


def _stats_json(stats: Stats) -> bytes:
    return orjson.dumps(stats.as_dict())


@pytest.mark.parametrize("name", ["prodigy", "doccano", "brat", "fashion", "tweets"])
def test_stats_the_same_on_reference_files(name: str, workers: None) -> None:
    path = {
        "prodigy": AS_PRODIGY,
        "doccano": DOCCANO / "Lisa.jsonl",
        "brat": BRAT,
        "fashion": PRODIGY / "fashion_brands_eval.jsonl",
        "tweets": PRODIGY / "test_annotated.jsonl",
    }[name]
    if not path.exists():
        pytest.skip(f"reference data not available: {path}")
    old = _old_compute(item.record for item in read(path))
    assert _stats_json(file_stats(path)) == _stats_json(old)


def test_stats_the_same_on_generated_data(tmp_path: Path, mode: str) -> None:
    """Annotators in one file, superseded lines, rejects, a collision, labels in ties."""
    files = annotated_files(tmp_path, 30, seed=7)
    merged = tmp_path / "all.jsonl"
    again = {**orjson.loads(files[0].read_bytes().split(b"\n")[0]), "answer": "ignore"}
    extra = [_line("x", 1, None), orjson.dumps({**again, "spans": []}), orjson.dumps(again)]
    merged.write_bytes(b"".join(p.read_bytes() for p in files) + b"\n".join(extra) + b"\n")
    old = _old_compute(item.record for item in read(merged))
    new = file_stats(merged)
    assert _stats_json(new) == _stats_json(old)
    assert list(new.labels) == list(old.labels)  # first seen first: most_common's ties
    assert new.lines > new.records


def test_stats_holds_a_small_entry_per_record_key(tmp_path: Path) -> None:
    from annotations.stats import Tally

    tally = Tally()
    for _ in range(3):
        tally.add(Record("Jean Dupont", input_hash=1, annotator="ana", answer="accept"))
    assert tally.lines == 3 and len(tally.current) == 1
    assert Counter(tally.stats().answers) == Counter({"accept": 1})


def test_an_error_in_a_part_ends_the_run(tmp_path: Path, workers: None) -> None:
    """The first bad line, in file order, whichever worker read it; the pool is closed."""
    import multiprocessing

    path = _put(tmp_path / "a.jsonl", b"\n".join([GOOD] * 20 + [b"{bad"] + [GOOD] * 20))
    with pytest.raises(InputError, match=r"a\.jsonl:21: invalid JSON"):
        report_from_files([path, path], processes=2)
    assert not multiprocessing.active_children()
    assert os.getpid()  # still this process


def test_the_bar_shows_the_rate_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import annotations.cli.bar as bar_module

    monkeypatch.setattr(bar_module, "SHOW_AFTER_S", 0.0)
    monkeypatch.setattr(bar_module, "REDRAW_S", 0.0)
    out = io.StringIO()
    with bar_module.Bar(Console(file=out, force_terminal=True, width=100)) as bar:
        bar.phase("reading", 100)
        bar.advance(50, 2000)
        bar.advance(25, 1000)
        assert bar.bar is not None
        bar.bar.refresh()
    assert "reading" in out.getvalue() and "3,000 records" in out.getvalue()
    assert "/s" in out.getvalue()
    quiet = io.StringIO()
    with bar_module.Bar(Console(file=quiet, force_terminal=False)) as bar:
        bar.phase("reading", 100)
        bar.advance(100, 5000)
    assert bar.bar is None and quiet.getvalue() == ""
