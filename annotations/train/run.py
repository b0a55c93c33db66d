"""One training run through spaCy's own training API: the records become DocBin corpora in a
work folder, `init_nlp` builds the pipeline from the config (`annotations.train.config`), and
`spacy.training.loop.train` trains it with early stopping, saving the best checkpoint.

What relecture adds is told to spaCy through its registry: a logger (`relecture.progress.v1`)
that reports each evaluation to the caller and ends the run when its time is up (`max_minutes`;
spaCy's loop has no clock, so the logger raises, and spaCy saves what it has, as on any error).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.records import Record
from annotations.suggest.model import TRAINED_NAME
from annotations.train.config import LOGGER, Base, training_config

BEST = "model-best"


@dataclass(frozen=True)
class Evaluation:
    """One evaluation on the eval part during training (spaCy's scorer: exact entity spans)."""

    step: int
    epoch: int
    seconds: float
    f1: float
    best: float  # the best F1 so far


@dataclass
class Fit:
    nlp: Any  # the best checkpoint, loaded
    evaluations: list[Evaluation]
    stopped: str  # why training ended
    seconds: float  # training time (the loop, not the setup)
    setup_seconds: float
    words: int  # tokens in the training part
    per_label: dict[str, float] = field(default_factory=dict)  # the best checkpoint's F1

    @property
    def f1(self) -> float:
        return max((e.f1 for e in self.evaluations), default=0.0)


class _TimeUp(Exception):
    pass


_run: _Watch | None = None  # the run the registered logger reports to (one at a time per process)


class _Watch:
    def __init__(
        self, max_minutes: float | None, on_eval: Callable[[Evaluation], None] | None
    ) -> None:
        self.max_seconds = max_minutes * 60 if max_minutes else None
        self.on_eval = on_eval
        self.started = time.perf_counter()
        self.evaluations: list[Evaluation] = []
        self.per_label: dict[str, float] = {}
        self.timed_out = False
        self.steps = 0  # log_step is called once per update (with info only on evaluations)

    def step(self, info: dict[str, Any] | None) -> None:
        self.steps += 1
        elapsed = time.perf_counter() - self.started
        if info is not None:
            f1 = float(info["other_scores"].get("ents_f") or 0.0)
            best = max([f1, *(e.f1 for e in self.evaluations)])
            # spaCy keeps the later checkpoint of a tie (score == max): so do the figures
            if not self.evaluations or f1 >= max(e.f1 for e in self.evaluations):
                types = info["other_scores"].get("ents_per_type") or {}
                self.per_label = {k: float(v.get("f") or 0.0) for k, v in types.items()}
            evaluation = Evaluation(int(info["step"]), int(info["epoch"]), elapsed, f1, best)
            self.evaluations.append(evaluation)
            if self.on_eval is not None:
                self.on_eval(evaluation)
        if self.max_seconds is not None and elapsed >= self.max_seconds and self.evaluations:
            self.timed_out = True
            raise _TimeUp


def _register_logger() -> None:
    from spacy.util import registry

    def make() -> Callable[..., Any]:
        def setup(
            nlp: Any, stdout: Any, stderr: Any
        ) -> tuple[Callable[..., None], Callable[[], None]]:
            def log_step(info: dict[str, Any] | None) -> None:
                if _run is not None:
                    _run.step(info)

            return log_step, lambda: None

        return setup

    registry.loggers.register(LOGGER, func=make)


def write_corpus(records: Sequence[Record], path: Path) -> int:
    """A DocBin of the records on their own tokens; returns the number of tokens."""
    from spacy.tokens import DocBin

    from annotations.export.docbin import record_doc
    from annotations.tokenize import french_tokenizer

    vocab = french_tokenizer().vocab
    db = DocBin(store_user_data=False)
    words = 0
    for record in records:
        doc = record_doc(vocab, record)
        words += len(doc)
        db.add(doc)
    db.to_disk(path)
    return words


def fit(
    train: Sequence[Record],
    evaluation: Sequence[Record],
    labels: Sequence[str],
    base: Base,
    work: Path,
    *,
    seed: int = 0,
    max_minutes: float | None = 10.0,
    max_steps: int = 0,
    on_eval: Callable[[Evaluation], None] | None = None,
    width: int = 96,
    depth: int = 4,
) -> Fit:
    """Train in `work` (a folder the caller owns and removes) and return the best checkpoint."""
    global _run
    import spacy
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as spacy_train

    started = time.perf_counter()
    words = write_corpus(train, work / "train.spacy")
    write_corpus(evaluation, work / "dev.spacy")
    config = training_config(
        base, seed=seed, max_steps=max_steps, train_words=words, width=width, depth=depth
    )
    config["paths"]["train"] = str(work / "train.spacy")
    config["paths"]["dev"] = str(work / "dev.spacy")
    _register_logger()
    nlp = init_nlp(config)
    ner: Any = nlp.get_pipe("ner")
    for label in labels:  # a sourced ner learns the scheme's labels it did not have
        if label not in ner.labels:
            ner.add_label(label)
    watch = _Watch(max_minutes, on_eval)
    (work / "training").mkdir()
    setup = time.perf_counter() - started
    _run = watch
    try:
        spacy_train(nlp, work / "training", stdout=io.StringIO(), stderr=io.StringIO())
    except _TimeUp:
        pass
    finally:
        _run = None
    seconds = time.perf_counter() - watch.started
    if watch.timed_out:
        stopped = f"time limit ({max_minutes:g} min)"
    elif max_steps and watch.steps > max_steps:
        stopped = f"--max-steps {max_steps}"
    else:
        stopped = f"no better for {config['training']['patience']} updates"
    best = spacy.load(work / "training" / BEST)
    # named as `save_model` will name it, so that it suggests now (the scores) as it will from
    # its folder: ModelSuggester takes a trained model's spans as they are
    best.meta["name"] = TRAINED_NAME
    return Fit(best, watch.evaluations, stopped, seconds, setup, words, watch.per_label)


def fit_in_temp(
    train: Sequence[Record],
    evaluation: Sequence[Record],
    labels: Sequence[str],
    base: Base,
    prefix: str,
    **options: Any,
) -> Fit:
    """`fit` in a temporary work folder of its own (`prefix`: its name), removed after."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        return fit(train, evaluation, labels, base, Path(work), **options)
