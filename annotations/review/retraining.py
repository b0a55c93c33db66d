"""The model in the loop while annotating (`relecture annotate --update-every N`): when to
retrain, on what, and whether the model that comes out replaces the one in use.

- After every N articles newly submitted (accepted) in this session, a run is due. One run at a
  time: a run due while one trains (or while a better model is loading) waits, and several
  such waits are one run.
- Its data is the memory's (`annotations.review.learning`): the latest decision per annotator
  and article of OUT and of the `--learn-from` files, the `accept`ed ones only, with the spans
  of the scheme's labels.
- A part of the articles is held out, each article by a seeded number of its own (about a fifth,
  at least one), and an article once held out stays so, so that the model in use is never scored
  on articles it was trained on; too few
  articles, or no span left to learn from, and no run starts yet: `note` says why.
- The training process scores the chain (rules and model, as `relecture suggest` runs it) with
  the model in use and with the new model on that same held-out part; the new model is swapped
  in when it does better there (`better`). It is written to `OUT.models/vN` only then, so every
  version in that folder was once swapped in.

No terminal, no threads: the app calls these from its UI thread and runs the process elsewhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from annotations.errors import UsageError
from annotations.export.splits import seeded_fractions
from annotations.labels import LabelScheme
from annotations.records import ArticleKey, Record

HELD_OUT = 0.2
MAX_MINUTES = 2.0  # a run's time limit: a model a couple of minutes old beats a better one later
MARKER = "relecture-model.json"  # as `annotations.train.model_dir` writes it
LOOP_FACTS = "loop"  # the key of this run's facts in MARKER
_VERSION = re.compile(r"v([1-9][0-9]{0,8})")


@dataclass(frozen=True)
class Settings:
    """How the loop trains: after `every` submits, from `base` (`blank`, or a spaCy pipeline to
    fine-tune: the `--model` of the command line), with a time limit; `max_steps`, `width` and
    `depth` make a run small (tests)."""

    every: int
    base: str
    max_minutes: float = MAX_MINUTES
    max_steps: int = 0
    width: int = 96
    depth: int = 4
    held_out: float = HELD_OUT
    seed: int = 0


@dataclass(frozen=True)
class ModelInUse:
    """The model the chain runs: `name` (a pipeline or a folder; None: no model), its version in
    the loop (0: the one the command line gave) and its F1 on the latest held-out part it was
    scored on (None until then)."""

    name: str | None
    version: int = 0
    f1: float | None = None


@dataclass(frozen=True)
class TrainingRequest:
    version: int
    out: Path  # the model folder to write, when the new model is better
    base: str
    current: str | None  # the model in use, scored on the same held-out part
    train: tuple[Record, ...]
    held_out: tuple[Record, ...]
    scheme: LabelScheme
    settings: Settings
    sources: tuple[str, ...] = ()  # the files the records come from, for the model's README

    def __repr__(self) -> str:
        # short: Textual describes a worker by the repr of its arguments, on the UI thread
        return (
            f"TrainingRequest(v{self.version}, {len(self.train)} to train on, "
            f"{len(self.held_out)} held out)"
        )


@dataclass(frozen=True)
class TrainingResult:
    version: int
    f1: float  # the chain with the new model, on the held-out part
    current_f1: float  # the chain with the model in use, on the same part
    path: Path | None  # where the new model was written (None: it was not better)
    seconds: float = 0.0
    stopped: str = ""


def better(new_f1: float, current_f1: float) -> bool:
    """Whether a new model replaces the one in use (both scored on the new model's held-out
    part). Strictly better: a tie keeps the model the annotator has been seeing."""
    return new_f1 > current_f1


def training_records(records: Iterable[Record], labels: Sequence[str]) -> list[Record]:
    """The latest record per annotator and article (later ones win), accepted only, with the
    spans of `labels` (a `--learn-from` file may use others)."""
    latest: dict[tuple[str | None, ArticleKey], Record] = {}
    for record in records:
        latest.pop(record.key, None)  # the latest decision's place in the order
        latest[record.key] = record
    keep = frozenset(labels)
    out = []
    for record in latest.values():
        if record.answer != "accept":
            continue
        spans = record.spans or []
        if any(s.label not in keep for s in spans):
            record = replace(record, spans=[s for s in spans if s.label in keep])
        out.append(record)
    return out


def held_out_articles(
    records: Sequence[Record], share: float, seed: int, before: Iterable[int] = ()
) -> set[int]:
    """The input hashes of the held-out articles: each article on its own, by its seeded number
    (`splits.seeded_fractions`: below `share`, about that share of them), plus those held out
    `before` (an article once held out stays so: a model in use is never scored on articles it
    was trained on, however the data grows), and at least one; empty when there are fewer than
    two articles (one must be left to train on)."""
    fractions = seeded_fractions((r.article_key[0] for r in records), seed)
    if len(fractions) < 2:
        return set()
    earlier = set(before)
    held = {h for h, f in fractions.items() if f < share or h in earlier}
    if not held:
        held = {min(fractions, key=lambda h: fractions[h])}
    if len(held) == len(fractions):  # tiny data: one article is left to train on
        held.discard(max(held - earlier or held, key=lambda h: fractions[h]))
    return held


class Retraining:
    """The loop's state: submits counted, the run going (`running`), the better model loading
    (`loading`), the model in use (`model`) and why nothing happens (`note`)."""

    def __init__(
        self,
        settings: Settings,
        scheme: LabelScheme,
        models: Path,
        model: ModelInUse,
        next_version: int = 1,
        sources: Sequence[str] = (),
    ) -> None:
        if settings.every < 1:
            raise ValueError("every must be at least 1")
        self.settings = settings
        self.scheme = scheme
        self.models = models
        self.model = model
        self.next_version = next_version
        self.sources = tuple(sources)
        self.running: TrainingRequest | None = None
        self.loading: TrainingResult | None = None
        self.due = False
        self.note = ""
        self.hint = ""  # said once when the session opens (see `resume_hint`)
        self.runs = 0  # requests handed out
        self._since = 0
        self._submitted: set[ArticleKey] = set()
        self._held: set[int] = set()  # articles held out by a run: they stay held out

    @property
    def busy(self) -> bool:
        return self.running is not None or self.loading is not None

    def submitted(self, record: Record) -> None:
        """A decision is saved: an accepted article not counted yet in this session counts."""
        if record.answer != "accept" or record.article_key in self._submitted:
            return
        self._submitted.add(record.article_key)
        self._since += 1
        if self._since >= self.settings.every:
            self._since = 0
            self.due = True

    def request(self, records: Iterable[Record]) -> TrainingRequest | None:
        """The run to start now, on `records` (the learn-from files' then OUT's, in order), or
        None: none is due, one is going, or the data is not enough yet (`note` says why; the
        run stays due and is asked for again at the next submit)."""
        if not self.due or self.busy:
            return None
        data = training_records(records, self.scheme.names)
        held = held_out_articles(data, self.settings.held_out, self.settings.seed, self._held)
        self._held |= held
        train = tuple(r for r in data if r.article_key[0] not in held)
        problem = _too_little(data, train)
        if problem:
            self.note = f"retraining waits {problem}"
            return None
        self.note = ""
        version = self.next_version
        self.next_version += 1
        self.due = False
        self.runs += 1
        self.running = TrainingRequest(
            version=version,
            out=self.models / f"v{version}",
            base=self.settings.base,
            current=self.model.name,
            train=train,
            held_out=tuple(r for r in data if r.article_key[0] in held),
            scheme=self.scheme,
            settings=self.settings,
            sources=self.sources,
        )
        return self.running

    def finished(self, result: TrainingResult) -> bool:
        """The run ended: True when its model is better and is to be loaded (then `swapped` or
        `swap_failed` follows); else the model in use stays, with the F1 it just got."""
        if self.running is None or result.version != self.running.version:
            raise ValueError(f"no run of version {result.version} is going")
        self.running = None
        if result.path is not None and better(result.f1, result.current_f1):
            self.loading = result
            return True
        self.model = replace(self.model, f1=result.current_f1)
        return False

    def failed(self) -> None:
        """The run failed (its process said why, or died): the model in use stays."""
        self.running = None

    def swapped(self) -> ModelInUse:
        """The better model is loaded and suggesting: it is the model in use."""
        if self.loading is None or self.loading.path is None:
            raise ValueError("no model is loading")
        result, self.loading = self.loading, None
        self.model = ModelInUse(str(result.path), result.version, result.f1)
        return self.model

    def swap_failed(self) -> None:
        self.loading = None

    # -- what the status line says ---------------------------------------------------------------
    def model_label(self) -> str:
        """`v2 F1 0.71` (a model of the loop), `F1 0.45` (the command line's, once scored)."""
        f1 = f"F1 {self.model.f1:.2f}" if self.model.f1 is not None else ""
        if self.model.version:
            return f"v{self.model.version} {f1}".strip()
        return f1

    def activity(self) -> str:
        if self.running is not None:
            return f"training v{self.running.version}…"
        if self.loading is not None:
            return f"loading v{self.loading.version}…"
        return self.note if self.due else ""

    def outcome(self, result: TrainingResult) -> str:
        """What a finished run did, for a notice (call after `finished`)."""
        was = self.model_name()
        scores = f"F1 {result.f1:.2f} on its held-out part, {was} {result.current_f1:.2f}"
        if self.loading is result:
            return f"v{result.version} is better ({scores}): loading it"
        return f"v{result.version} is not better ({scores}): keeping {was}"

    def model_name(self) -> str:
        if self.model.version:
            return f"v{self.model.version}"
        return self.model.name or "rules only"


def _too_little(data: Sequence[Record], train: Sequence[Record]) -> str:
    articles = {r.article_key[0] for r in data}
    if len(articles) < 2:  # one to train on, one held out
        return f"for 2 accepted articles ({len(articles)} so far)"
    if not any(r.spans for r in train):
        return "for spans to learn from"
    return ""


# -- the models folder -------------------------------------------------------------------------
def versions(models: Path) -> dict[int, Path]:
    """The loop's models in `models` (`v1`, `v2`...), by version."""
    try:
        names = os.listdir(models)
    except OSError:
        return {}
    out = {}
    for name in names:
        m = _VERSION.fullmatch(name)
        if m and (models / name / MARKER).is_file():
            out[int(m[1])] = models / name
    return dict(sorted(out.items()))


def model_in_use(name: str | None, models: Path) -> ModelInUse:
    """The command line's `--model`: a folder of the loop (`OUT.models/v3`) is that version,
    with the F1 it had when it was swapped in; anything else is version 0."""
    if name is None:
        return ModelInUse(None)
    path = Path(name)
    for version, folder in versions(models).items():
        if _same(path, folder):
            return ModelInUse(name, version, loop_f1(folder))
    return ModelInUse(name)


def loop_f1(folder: Path) -> float | None:
    try:
        facts = orjson.loads((folder / MARKER).read_bytes())
        f1 = facts[LOOP_FACTS]["f1"]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return float(f1) if isinstance(f1, int | float) and not isinstance(f1, bool) else None


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def next_version(models: Path) -> int:
    return max(versions(models), default=0) + 1


def latest(models: Path) -> ModelInUse | None:
    """The loop's newest model in `models` (the last one swapped in), if any."""
    found = versions(models)
    if not found:
        return None
    version = max(found)
    return ModelInUse(str(found[version]), version, loop_f1(found[version]))


def resume_hint(models: Path, in_use: ModelInUse) -> str:
    """When the loop made models in an earlier session and the session does not start from its
    newest: how to go on with it."""
    newest = latest(models)
    if newest is None or newest.version == in_use.version:
        return ""
    f1 = f" (F1 {newest.f1:.2f})" if newest.f1 is not None else ""
    return (
        f"{newest.name}{f1} is the newest model of earlier sessions: --model {newest.name} uses it"
    )


def check_models_folder(every: int, models: Path) -> None:
    """`--update-every` given a bad N, or a models folder that is something else: one line."""
    if every < 0:
        raise UsageError(f"--update-every must be 1 or more (got {every})")
    if every and (models.is_symlink() or models.exists()) and not models.is_dir():
        raise UsageError(
            f"{models} exists and is not a folder: --update-every keeps its models there; "
            "move it away"
        )


def model_loop(
    every: int,
    models: Path,
    model: str | None,
    scheme: LabelScheme,
    sources: Sequence[str] = (),
) -> Retraining | None:
    """The loop of `--update-every N` (None for 0): it fine-tunes `model` (`--model`; a new
    model from blank without one) into `models`, after the versions already there."""
    if not every:
        return None
    from annotations.train.config import BLANK

    in_use = model_in_use(model, models)
    settings = Settings(every=every, base=model or BLANK)
    loop = Retraining(settings, scheme, models, in_use, next_version(models), sources)
    loop.hint = resume_hint(models, in_use)
    return loop
