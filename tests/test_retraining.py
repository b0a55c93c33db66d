"""The model loop's decisions without a terminal (`annotations.review.retraining`): when a run is
due, what it trains on and holds out, when a finished model is swapped in; and a state machine
of submits, runs, results and failures."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from annotations.labels import load_scheme
from annotations.records import Record, Span
from annotations.review.retraining import (
    MARKER,
    ModelInUse,
    Retraining,
    Settings,
    TrainingResult,
    held_out_articles,
    model_in_use,
    next_version,
    resume_hint,
    training_records,
)

SCHEME = load_scheme()


def article(n: int, answer: str | None = "accept", annotator: str = "alice") -> Record:
    text = f"Article {n} : Marie Curie à Lyon."
    spans = [Span(13, 24, "PER"), Span(27, 31, "LOC")]
    return Record(text=text, spans=spans, answer=answer, annotator=annotator).with_hashes()


def loop(
    every: int = 2, model: ModelInUse | None = None, tmp: Path = Path("out.models")
) -> Retraining:
    settings = Settings(every=every, base="blank")
    return Retraining(settings, SCHEME, tmp, model or ModelInUse(None))


def result(version: int, f1: float, current: float, path: Path | None = None) -> TrainingResult:
    return TrainingResult(version, f1, current, path if path is not None else Path(f"v{version}"))


def test_a_run_is_due_after_every_n_new_accepted_articles() -> None:
    r = loop(every=2)
    data = [article(i) for i in range(5)]
    r.submitted(data[0])
    assert r.request(data) is None and not r.due
    r.submitted(data[0])  # the same article again: not new
    r.submitted(article(9, "reject"))  # a reject is no submit
    assert not r.due
    r.submitted(data[1])
    request = r.request(data)
    assert request is not None and request.version == 1 and request.current is None
    assert request.out == Path("out.models") / "v1"
    assert r.running is request and r.activity() == "training v1…"


def test_the_training_data_is_the_latest_accepted_decision_per_annotator_and_article() -> None:
    first = article(1)
    again = Record(text=first.text, spans=[], answer="reject", annotator="alice").with_hashes()
    other = article(1, annotator="bob")
    dated = Record(text="Le 3 mai à Lyon.", spans=[Span(3, 8, "DATE"), Span(11, 15, "LOC")])
    dated = Record(text=dated.text, spans=dated.spans, answer="accept").with_hashes()
    got = training_records([first, other, again, article(2, "ignore"), dated], ["PER", "LOC"])
    assert got[0] is other  # alice's reject replaced her accept; bob's stays
    assert [s.label for s in got[1].spans or ()] == ["LOC"]  # labels outside the given ones left
    assert len(got) == 2


def test_the_held_out_part_is_about_a_seeded_fifth_of_the_articles_at_least_one() -> None:
    data = [article(i) for i in range(200)]
    held = held_out_articles(data, 0.2, 0)
    assert 25 <= len(held) <= 55
    assert held == held_out_articles(list(reversed(data)), 0.2, 0)  # by article, not by order
    assert held != held_out_articles(data, 0.2, 1)
    more = held_out_articles([*data, *(article(i) for i in range(200, 250))], 0.2, 0)
    assert held <= more  # each article on its own: more data moves none
    assert len(held_out_articles(data[:2], 0.2, 0)) == 1
    assert held_out_articles(data[:1], 0.2, 0) == set()
    # two annotators on one article: one article, held out whole
    both = [article(1), article(1, annotator="bob"), article(2)]
    assert len(held_out_articles(both, 0.2, 0)) == 1


def test_an_article_trained_on_is_never_held_out_later() -> None:
    """The reviewer's case: with the last k of the seeded order held out, k growing with the
    data, an article a run trained on became held out in a later run (1 in 5-8 of them), and
    the model in use was scored on its own training data."""
    held: set[int] = set()
    trained: set[int] = set()
    for n in range(2, 41):
        data = [article(i) for i in range(n)]
        now = held_out_articles(data, 0.2, 0, held)
        assert not now & trained, n
        assert held <= now
        held |= now
        trained |= {r.article_key[0] for r in data} - now


def test_too_little_data_waits_and_says_why() -> None:
    r = loop(every=1)
    one = [article(1)]
    r.submitted(one[0])
    assert r.request(one) is None
    assert r.activity() == "retraining waits for 2 accepted articles (1 so far)"
    bare = [Record(text=f"Rien {i}.", spans=[], answer="accept").with_hashes() for i in range(3)]
    assert r.request(bare) is None
    assert r.activity() == "retraining waits for spans to learn from"
    request = r.request([*bare, *(article(i) for i in range(4))])  # still due: asked again
    assert request is not None and r.activity() == "training v1…"
    held = {x.article_key for x in request.held_out}
    assert held and not held & {x.article_key for x in request.train}
    assert len(request.train) + len(request.held_out) == 7


def test_a_run_asked_for_while_one_runs_is_queued_as_one() -> None:
    r = loop(every=1)
    data = [article(i) for i in range(6)]
    r.submitted(data[0])
    first = r.request(data)
    assert first is not None
    for record in data[1:4]:
        r.submitted(record)
        assert r.request(data) is None  # one at a time
    assert r.due
    assert not r.finished(result(1, 0.5, 0.6))
    second = r.request(data)
    assert second is not None and second.version == 2
    assert r.request(data) is None and not r.due  # the three waits were one run


def test_a_better_model_is_swapped_in_once_loaded_and_compared_from_then_on() -> None:
    r = loop(every=1, model=ModelInUse("fr_core_news_md"))
    data = [article(i) for i in range(4)]
    r.submitted(data[0])
    assert r.request(data) is not None
    assert r.finished(result(1, 0.7, 0.45, Path("m/v1")))
    assert r.activity() == "loading v1…"
    assert r.outcome(r.loading) == (  # type: ignore[arg-type]
        "v1 is better (F1 0.70 on its held-out part, fr_core_news_md 0.45): loading it"
    )
    r.submitted(data[1])
    assert r.request(data) is None  # not while it loads: the next run compares with it
    assert r.swapped() == ModelInUse("m/v1", 1, 0.7)
    assert r.model_label() == "v1 F1 0.70"
    request = r.request(data)
    assert request is not None and request.current == "m/v1" and request.base == "blank"


def test_a_model_no_better_or_failing_leaves_the_model_in_use() -> None:
    r = loop(every=1, model=ModelInUse("fr_core_news_md"))
    data = [article(i) for i in range(4)]
    r.submitted(data[0])
    r.request(data)
    res = result(1, 0.45, 0.45)
    assert not r.finished(res)  # a tie keeps what the annotator has been seeing
    assert r.outcome(res).startswith("v1 is not better") and "keeping fr_core_news_md" in r.outcome(
        res
    )
    assert r.model == ModelInUse("fr_core_news_md", 0, 0.45) and r.model_label() == "F1 0.45"
    r.submitted(data[1])
    r.request(data)
    r.failed()
    assert r.model == ModelInUse("fr_core_news_md", 0, 0.45) and not r.busy
    r.submitted(data[2])
    assert r.request(data) is not None
    assert r.finished(result(3, 0.9, 0.45))
    r.swap_failed()
    assert r.model.name == "fr_core_news_md" and not r.busy
    with pytest.raises(ValueError):
        r.finished(result(3, 0.9, 0.45))  # no such run going


def test_the_models_folder_numbers_versions_and_names_the_model_in_use(tmp_path: Path) -> None:
    models = tmp_path / "out.jsonl.models"
    assert next_version(models) == 1
    for version, f1 in ((1, 0.5), (3, 0.7)):
        folder = models / f"v{version}"
        folder.mkdir(parents=True)
        (folder / MARKER).write_bytes(orjson.dumps({"loop": {"f1": f1}}))
    (models / "v7").mkdir()  # no marker: not a model of the loop
    (models / ".v4.relecture-train-1-abcdefgh.tmp").mkdir()  # a run's scratch folder
    assert next_version(models) == 4
    assert model_in_use(str(models / "v3"), models) == ModelInUse(str(models / "v3"), 3, 0.7)
    assert model_in_use("fr_core_news_md", models) == ModelInUse("fr_core_news_md")
    assert model_in_use(None, models) == ModelInUse(None)
    hint = resume_hint(models, ModelInUse(None))
    assert hint == (
        f"{models / 'v3'} (F1 0.70) is the newest model of earlier sessions: "
        f"--model {models / 'v3'} uses it"
    )
    assert resume_hint(models, model_in_use(str(models / "v3"), models)) == ""


class Loop(RuleBasedStateMachine):
    """Any order of submits, requests, results, loads and failures: one run at a time, versions
    that only grow, the model in use changed only by a loaded better model, no run without a
    held-out article or with one in both parts, and no more runs than submits allow."""

    def __init__(self) -> None:
        super().__init__()
        self.every = 2
        self.loop = loop(self.every, ModelInUse("base"))
        self.data: list[Record] = []
        self.accepted: set[object] = set()
        self.versions: list[int] = []
        self.model = self.loop.model

    @rule(n=st.integers(0, 12), answer=st.sampled_from(["accept", "accept", "reject"]))
    def submit(self, n: int, answer: str) -> None:
        record = article(n, answer)
        self.data.append(record)
        self.loop.submitted(record)
        if answer == "accept":
            self.accepted.add(record.article_key)

    @rule()
    def ask(self) -> None:
        busy, due = self.loop.busy, self.loop.due
        request = self.loop.request(self.data)
        if request is None:
            return
        assert due and not busy
        assert not self.versions or request.version == self.versions[-1] + 1
        self.versions.append(request.version)
        assert request.current == self.loop.model.name
        held = {r.article_key for r in request.held_out}
        assert held and not held & {r.article_key for r in request.train}
        assert all(r.answer == "accept" for r in (*request.train, *request.held_out))

    @precondition(lambda self: self.loop.running is not None)
    @rule(f1=st.floats(0, 1), current=st.floats(0, 1))
    def finish(self, f1: float, current: float) -> None:
        assert self.loop.running is not None
        swap = self.loop.finished(result(self.loop.running.version, f1, current))
        assert swap == (f1 > current)
        assert self.loop.model.name == self.model.name  # not before it is loaded

    @precondition(lambda self: self.loop.running is not None)
    @rule()
    def fail(self) -> None:
        self.loop.failed()

    @precondition(lambda self: self.loop.loading is not None)
    @rule(ok=st.booleans())
    def load(self, ok: bool) -> None:
        loading = self.loop.loading
        assert loading is not None
        if ok:
            self.model = self.loop.swapped()
            assert self.model.version == loading.version and self.model.f1 == loading.f1
        else:
            self.loop.swap_failed()

    @invariant()
    def one_thing_at_a_time(self) -> None:
        assert not (self.loop.running is not None and self.loop.loading is not None)
        assert self.loop.model.name == self.model.name
        assert len(self.versions) <= len(self.accepted) // self.every


TestLoop = Loop.TestCase
TestLoop.settings = settings(max_examples=40, stateful_step_count=30)


def test_a_run_stopped_before_it_starts_leaves_no_request(tmp_path: Path) -> None:
    """The request file holds every curated record: it was left in the temporary folder when
    the run was stopped (the screen quitting) before its process started."""
    import tempfile

    from annotations.train.background import BackgroundRun, TrainingFailed

    r = loop(every=1)
    data = [article(i) for i in range(6)]
    r.submitted(data[0])
    request = r.request(data)
    assert request is not None
    before = set(Path(tempfile.gettempdir()).glob("relecture-loop-request-*"))
    run = BackgroundRun(request)
    run.kill()
    with pytest.raises(TrainingFailed, match="stopped before it started"):
        run.start()
    assert set(Path(tempfile.gettempdir()).glob("relecture-loop-request-*")) == before
