"""A line that cannot be read (bad JSON, a line too long) met in the review screen: the session
passes over it and says why, the rest of the file stays workable, the exit is 1 with the line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotations.labels import load_scheme
from annotations.records import Record
from annotations.review.session import ReviewSession
from annotations.store.index import JsonlIndex
from annotations.store.writer import JsonlWriter
from tui.app import ChainOptions, RelectureApp
from tui.cli import build


def good(i: int) -> bytes:
    return orjson.dumps({"text": f"Article {i}. Meta recrute chez OpenAI à Paris."})


def source(tmp_path: Path, bad: dict[int, bytes]) -> Path:
    path = tmp_path / "src.jsonl"
    path.write_bytes(b"\n".join(bad.get(i, good(i)) for i in range(6)) + b"\n")
    return path


def session_over(path: Path, saved: dict[object, Record] | None = None) -> ReviewSession:
    return ReviewSession(JsonlIndex(path, load_scheme()), load_scheme(), "alice", saved)


def test_stepping_passes_over_unreadable_lines_and_keeps_why(tmp_path: Path) -> None:
    s = session_over(source(tmp_path, {2: b'{"text": "broken', 3: b"[1, 2]"}))
    s.step(1)
    assert s.index == 1 and s.passed_over == []
    s.step(1)
    assert s.index == 4 and s.passed_over == [2, 3]
    assert str(s.unreadable[2]).startswith(f"{tmp_path / 'src.jsonl'}:3: invalid JSON")
    assert ":4: " in str(s.unreadable[3])
    s.step(-1)
    assert s.index == 1 and s.passed_over == [3, 2]
    assert not s.go_to(2) and s.index == 1


def test_deciding_moves_past_unreadable_lines(tmp_path: Path) -> None:
    s = session_over(source(tmp_path, {1: b'{"text": "broken'}))
    s.submit()
    assert s.index == 2 and s.passed_over == [1]
    assert s.filter == "all" and s.set_filter("unreviewed") and s.index == 2


def test_a_session_opens_on_the_first_readable_article(tmp_path: Path) -> None:
    s = session_over(source(tmp_path, {0: b'{"text": "broken', 1: b'{"text": ""}'}))
    assert s.index == 2 and sorted(s.unreadable) == [0, 1] and s.passed_over == [0, 1]


def test_resume_over_unreadable_lines(tmp_path: Path) -> None:
    path = source(tmp_path, {1: b'{"text": "broken'})
    first = session_over(path)
    saved = first.submit()
    s = session_over(path, {saved.input_hash: saved})  # type: ignore[dict-item]
    assert s.index == 2 and s.reviewed_count() == 1
    assert s.set_filter("unreviewed") and s.index == 2


def test_a_line_too_long_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("annotations.store.index.MAX_LINE_BYTES", 200)
    long_line = orjson.dumps({"text": "mot " * 100})
    s = session_over(source(tmp_path, {1: long_line}))
    s.step(1)
    assert s.index == 2 and "too long" in str(s.unreadable[1])


async def test_the_screen_says_what_it_skipped_and_stays_open(tmp_path: Path) -> None:
    path = source(tmp_path, {1: b'{"text": "broken'})
    out = tmp_path / "out.jsonl"
    app = RelectureApp(session_over(path), JsonlWriter(out), ChainOptions(model=None))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("n")  # onto the broken line: passed over, said
        await pilot.pause()
        assert app.session.index == 2
        assert app.screen.note.startswith(f"skipped article 2: {path}:2: invalid JSON")
        await pilot.press("g", "2", "enter")
        await pilot.pause()
        assert app.session.index == 2 and "article 2 cannot be read" in app.screen.note
        await pilot.press("space")
        await app.workers.wait_for_complete()
        await pilot.press("q")
    assert app.return_code in (0, None)
    assert len(out.read_bytes().splitlines()) == 1


def test_annotate_exits_1_with_the_unreadable_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = source(tmp_path, {1: b'{"text": "broken'})
    out = tmp_path / "out.jsonl"

    def run(self: RelectureApp) -> None:  # what an annotator does: reach the end, quit
        self.session.step(1)
        self.session.step(1)

    monkeypatch.setattr(RelectureApp, "run", run)
    result = CliRunner().invoke(
        build(), ["annotate", str(path), "-o", str(out), "--annotator", "a", "--model", "none"]
    )
    assert result.exit_code == 1
    assert f"error: {path}:2: invalid JSON" in result.output
    assert "Traceback" not in result.output


async def test_a_session_opened_past_a_bad_first_line_says_so(tmp_path: Path) -> None:
    path = source(tmp_path, {0: b'{"text": "broken'})
    app = RelectureApp(
        session_over(path), JsonlWriter(tmp_path / "o.jsonl"), ChainOptions(model=None)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.index == 1
        assert app.screen.note.startswith(f"skipped article 1: {path}:1: invalid JSON")


def test_quitting_says_which_undone_decisions_the_file_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = source(tmp_path, {})
    out = tmp_path / "out.jsonl"
    args = ["annotate", str(path), "-o", str(out), "--annotator", "a", "--model", "none"]

    def submit_then_undo(self: RelectureApp) -> None:
        self.writer.append(self.session.submit())
        self.session.undo()

    monkeypatch.setattr(RelectureApp, "run", submit_then_undo)
    result = CliRunner().invoke(build(), args)
    assert (
        "note: article 1: the decision was undone on screen, but the file keeps it" in result.output
    )

    monkeypatch.setattr(RelectureApp, "run", lambda self: None)
    assert "undone" not in CliRunner().invoke(build(), args).output  # reopened: nothing undone


async def test_a_session_with_every_article_decided_says_so(tmp_path: Path) -> None:
    path = source(tmp_path, {})
    first = session_over(path)
    saved = {}
    for _ in range(6):
        record = first.submit()
        saved[record.article_key] = record
    app = RelectureApp(
        session_over(path, saved), JsonlWriter(tmp_path / "o.jsonl"), ChainOptions(model=None)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.note.startswith("every article is decided")
