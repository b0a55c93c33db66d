"""`relecture annotate --update-every N` on the screen (Pilot): after N submits a model is trained
in the background (a tiny config: blank base, a few dozen updates), swapped in when it does
better, and the articles still to review get its suggestions, while keys keep working; a run
that fails leaves the session and its model as they were. And the command line's refusals."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotations.labels import load_scheme
from annotations.outputs import models_path
from annotations.records import Record
from annotations.review.retraining import ModelInUse, Retraining, Settings
from annotations.review.session import ReviewSession
from annotations.review.state import Status
from annotations.store.writer import JsonlWriter
from annotations.suggest.check import check_inputs
from annotations.train import background
from tests.train_data import write_records
from tui.app import ChainOptions, RelectureApp
from tui.cli import build
from tui.widgets.article.article_view import ArticleView
from tui.widgets.status.status_bar import StatusBar

TINY = Settings(every=2, base="blank", max_steps=40, width=32, depth=1)
# names the curated articles never use: the memory cannot know them, a model can
TODO = [
    "Selon Lucie Moreau, Thales ouvrira un site près de Nantes.",
    "À Brest, Marc Girard a présenté les résultats de Danone.",
    "Hugo Petit a rejoint Michelin à Grenoble cette semaine.",
    "Selon Julie Roux, Safran ouvrira un site près de Dijon.",
    "Danone recrute à Angers, annonce Léa Fontaine.",
    "À Nancy, Louis Mercier a présenté les résultats de Valeo.",
]


def loop_app(tmp: Path, settings: Settings = TINY) -> RelectureApp:
    """Six unreviewed articles, twenty curated ones to learn from, no model to begin with."""
    scheme = load_scheme()
    learn = write_records(tmp / "curated.jsonl", 20, seed=1)
    articles = [Record(text=text) for text in TODO]
    out = tmp / "out.jsonl"
    inputs = check_inputs((), [learn], scheme)
    options = ChainOptions(model=None, learn_from=(learn,), inputs=inputs)
    retraining = Retraining(settings, scheme, models_path(out), ModelInUse(None))
    session = ReviewSession(articles, scheme, "alice")
    return RelectureApp(session, JsonlWriter(out), options, retraining=retraining)


async def until(pilot, app: RelectureApp, done: Callable[[], bool], seconds: float = 60) -> None:
    """Wait for the app's workers and messages until `done()` (a run takes seconds)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not done():
        assert loop.time() < end, "timed out"
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)


def pending_sources(app: RelectureApp, index: int) -> set[str | None]:
    state = app.session.state_at(index)
    return {s.source for s in state.spans if s.status is Status.PENDING}


async def test_after_n_submits_a_better_model_suggests_for_the_articles_left(
    tmp_path: Path,
) -> None:
    app = loop_app(tmp_path)
    loop = app.retraining
    assert loop is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, app, lambda: app._fast is not None and app.article_ready())
        await pilot.press("space")
        await until(pilot, app, lambda: app.session.index == 1 and not app.session.unconfirmed())
        assert loop.running is None  # one submit of two
        await pilot.press("space")
        await until(pilot, app, lambda: loop.running is not None, 10)
        # while it trains (seconds, in another process): keys work and the screen follows
        assert app.session.index == 2
        await pilot.press("right", "right", "right", "1")  # a PER on the fourth token
        state = app.session.state
        assert state.cursor == 3 and any(s.status is Status.NEW for s in state.spans)
        view, bar = app.screen.query_one(ArticleView), app.screen.query_one(StatusBar)
        assert view.state == state
        assert bar.info is not None and bar.info.training == "training v1…"
        await pilot.press("n")
        assert app.session.index == 3 and bar.info.index == 3
        await pilot.press("p")
        assert app.session.index == 2 and view.state == state
        assert loop.running is not None  # all that while it trained
        touched = app.session.state_at(2)
        await until(pilot, app, lambda: loop.model.version == 1 and not loop.busy)
        folder = models_path(app.writer.path) / "v1"
        assert (folder / "relecture-model.json").is_file() and (folder / "config.cfg").is_file()
        assert app.retraining is loop and loop.model.f1 is not None and loop.model.f1 > 0
        await pilot.pause()
        assert bar.info.model_label == f"v1 F1 {loop.model.f1:.2f}" and bar.info.training == ""
        assert app.session.state_at(2) == touched  # what the annotator was doing: untouched
        await pilot.press("n")
        await until(pilot, app, lambda: f"model:{folder}" in pending_sources(app, 3))
        assert app.session.index == 3
        # the articles decided before are as they were saved
        assert [app.session.answer_at(i) for i in range(2)] == ["accept", "accept"]


async def test_a_failed_run_leaves_the_session_and_its_model_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = "import sys; sys.stderr.write('out of memory\\n'); sys.exit(3)"
    monkeypatch.setattr(background, "COMMAND", [sys.executable, "-c", crash])
    app = loop_app(tmp_path)
    loop = app.retraining
    assert loop is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, app, lambda: app._fast is not None and app.article_ready())
        await pilot.press("space")
        await until(pilot, app, lambda: app.session.index == 1)
        await pilot.press("right", "space")
        await until(pilot, app, lambda: loop.runs == 1 and not loop.busy)
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        assert any(
            "training v1 failed: the training process ended (exit code 3): out of memory" in m
            and "rules only goes on suggesting" in m
            for m in notices
        ), notices
        assert loop.model == ModelInUse(None) and app._full is None and app.model_state == "off"
        assert app.session.index == 2 and app.session.reviewed_count() == 2
        assert not models_path(app.writer.path).exists()
        await pilot.press("right")
        assert app.session.state.cursor == 1  # the session goes on
        bar = app.screen.query_one(StatusBar)
        assert bar.info is not None and bar.info.training == "" and bar.info.model == "off"


def test_update_every_refusals_are_one_line(tmp_path: Path) -> None:
    source = write_records(tmp_path / "todo.jsonl", 2)
    out = tmp_path / "out.jsonl"
    runner = CliRunner()
    base = ["annotate", str(source), "-o", str(out), "--annotator", "a", "--model", "none"]
    result = runner.invoke(build(), [*base, "--update-every", "-1"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: --update-every must be 1 or more (got -1)"
    models_path(out).write_text("not a folder")
    result = runner.invoke(build(), [*base, "--update-every", "2"])
    assert result.exit_code == 1
    assert "out.jsonl.models exists and is not a folder" in result.output
    assert not out.exists()
    inside = models_path(tmp_path / "b.jsonl") / "v1"
    inside.mkdir(parents=True)
    copy = inside / "todo.jsonl"
    copy.write_bytes(source.read_bytes())
    result = runner.invoke(
        build(), ["annotate", str(copy), "-o", str(tmp_path / "b.jsonl"), "--annotator", "a"]
    )
    assert result.exit_code == 1 and "is inside its side file" in result.output


async def test_quitting_while_a_run_trains_stops_it(tmp_path: Path) -> None:
    app = loop_app(tmp_path)
    loop = app.retraining
    assert loop is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, app, lambda: app._fast is not None and app.article_ready())
        await pilot.press("space")
        await until(pilot, app, lambda: app.session.index == 1)
        await pilot.press("space")
        await until(pilot, app, lambda: app._training is not None, 10)
        run = app._training
        assert run is not None
        await until(pilot, app, lambda: run._proc is not None, 10)
        await pilot.press("q")
    assert run._proc is not None and run._proc.wait(timeout=10) != 0
    assert not models_path(app.writer.path).exists()


def test_the_run_writes_its_model_only_when_it_beats_the_one_in_use(tmp_path: Path) -> None:
    from annotations.formats import read

    scheme = load_scheme()
    records = [item.record for item in read(write_records(tmp_path / "c.jsonl", 6))]
    models = tmp_path / "out.jsonl.models"
    untrained = Settings(every=1, base="blank", max_steps=2, width=16, depth=1)
    r = Retraining(untrained, scheme, models, ModelInUse(None))
    r.submitted(records[0])
    request = r.request(records)
    assert request is not None
    result = background.train(request)
    assert result.f1 <= result.current_f1 and result.path is None  # it learnt nothing yet
    assert not models.exists()


async def test_a_failure_of_the_chain_before_a_swap_does_not_drop_the_new_one(
    tmp_path: Path,
) -> None:
    """A suggestion that failed with the old model, reported after the loop's new model took
    its place, dropped the new chain (the status said ready, only the rules suggested)."""
    from annotations.suggest.chain import Chain
    from tests.tui_helpers import make_app

    app = make_app(tmp_path / "out.jsonl", [Record(text="Marie Curie est née à Varsovie.")])
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        old, new = Chain([]), Chain([])
        app._full = new
        app.post_message(RelectureApp.SuggestFailed(0, "full", "RuntimeError: boom", old))
        await pilot.pause()
        assert app._full is new
        app.post_message(RelectureApp.SuggestFailed(0, "full", "RuntimeError: boom", new))
        await pilot.pause()
        assert app._full is None and app.model_state == "failed"
