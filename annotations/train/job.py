"""`relecture train` and `train-curve` from start to finish, without a terminal: check the output,
read and split the data, train (`annotations.train.run`), score the suggestion chain with the
base model and with the trained one on the evaluation articles, write MODEL_DIR."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations import outputs
from annotations.errors import UsageError
from annotations.labels import LabelScheme, load_scheme
from annotations.records import Record, Span
from annotations.train.config import DEFAULT_BASE, inspect_base
from annotations.train.data import (
    DEFAULT_EVAL_SPLIT,
    TrainingData,
    records_of,
    rows_of,
    split_data,
)
from annotations.train.model_dir import About, check_model_target, save_model
from annotations.train.run import Evaluation, Fit, fit_in_temp
from annotations.train.scores import Scores, blank_copies, score

CURVE = (0.25, 0.5, 0.75, 1.0)
RULES_ONLY = "none"


@dataclass
class TrainOptions:
    inputs: list[Path]
    base: str = DEFAULT_BASE
    labels: Path | None = None
    eval_inputs: list[Path] = field(default_factory=list)
    eval_split: float = DEFAULT_EVAL_SPLIT
    seed: int = 0
    max_minutes: float | None = 10.0
    max_steps: int = 0
    policy: str | None = None
    annotator: str | None = None
    input_format: str | None = None
    baseline: str = DEFAULT_BASE  # the model of the chain compared with; "none": rules only
    force: bool = False

    def check(self) -> None:
        """The options alone (before any file is read)."""
        from annotations.export.select import parse_policy

        if not self.eval_inputs and not 0 < self.eval_split < 1:
            raise UsageError(f"--eval-split must be between 0 and 1 (got {self.eval_split:g})")
        parse_policy(self.policy, self.annotator)
        if self.baseline.lower() != RULES_ONLY:
            _installed("--baseline", self.baseline)

    def reads(self) -> list[outputs.Input]:
        return [
            *outputs.inputs("the input", self.inputs),
            *outputs.inputs("the --eval file", self.eval_inputs),
            *outputs.inputs("the --labels file", [self.labels]),
        ]


def _installed(option: str, name: str) -> None:
    """A pipeline name or folder that spaCy can load, or a one-line error naming the option
    (before any data is read: training for minutes, then failing on the comparison, loses it)."""
    from annotations.train.config import inspect_base

    try:
        inspect_base(name)
    except UsageError:
        from annotations.suggest.model import install_hint

        raise UsageError(
            f"{option}: spaCy pipeline '{name}' is not installed; {install_hint(name)}, "
            f"or use {option} none"
        ) from None


@dataclass
class Trained:
    data: TrainingData
    fit: Fit
    scores: dict[str, Scores]  # column name -> scores; the trained chain is the last one


def load_data(opts: TrainOptions, warn: Callable[[str], None]) -> tuple[TrainingData, LabelScheme]:
    scheme = load_scheme(opts.labels)
    pairs = records_of(opts.inputs, opts.input_format, warn)
    rows, selection = rows_of(pairs, scheme, opts.policy, opts.annotator, warn)
    eval_rows = None
    if opts.eval_inputs:
        eval_pairs = records_of(opts.eval_inputs, opts.input_format, warn)
        eval_rows, _ = rows_of(eval_pairs, scheme, opts.policy, opts.annotator, warn, "evaluate")
    names = ", ".join(str(p) for p in opts.eval_inputs)
    data = split_data(rows, selection, scheme, eval_rows, opts.eval_split, opts.seed, names)
    return data, scheme


def chain_suggestions(
    records: Sequence[Record], scheme: LabelScheme, model: str | None, nlp: Any = None
) -> list[list[Span]]:
    """What `relecture suggest` would suggest for the records: the rules, and the model (by
    name, or the pipeline `nlp` named `model`), without memory or patterns files."""
    from annotations.suggest.factory import build_chain
    from annotations.suggest.model import ModelSuggester

    chain, _ = build_chain(None, scheme=scheme)
    if nlp is not None:
        chain.suggesters.append(ModelSuggester(model or "trained", nlp=nlp))
    elif model is not None and model.lower() != RULES_ONLY:
        chain.suggesters.append(ModelSuggester(model))
    return chain.suggest(blank_copies(records))


def baseline_name(opts: TrainOptions) -> str:
    if opts.baseline.lower() == RULES_ONLY:
        return "rules only"
    return f"rules + {opts.baseline}"


def train(
    opts: TrainOptions,
    out: Path,
    *,
    warn: Callable[[str], None],
    on_eval: Callable[[Evaluation], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> Trained:
    """Train, score and write `out` (nothing is written when anything fails)."""
    say = on_phase or (lambda _p: None)
    opts.check()
    check_model_target(out, opts.force, opts.reads())
    base = inspect_base(opts.base)
    say("reading")
    data, scheme = load_data(opts, warn)
    say("training")
    result = fit_in_temp(
        data.train,
        data.eval,
        data.labels,
        base,
        "relecture-train-",
        seed=opts.seed,
        max_minutes=opts.max_minutes,
        max_steps=opts.max_steps,
        on_eval=on_eval,
    )
    say("scoring")
    baseline = chain_suggestions(data.eval, scheme, opts.baseline)
    trained = chain_suggestions(data.eval, scheme, str(out), result.nlp)
    scores = {
        baseline_name(opts): score(data.eval, baseline, data.labels),
        "rules + trained model": score(data.eval, trained, data.labels),
    }
    say("writing")
    about = About(
        [str(p) for p in opts.inputs],
        opts.base,
        opts.seed,
        opts.max_minutes,
        [str(p) for p in opts.eval_inputs],
        opts.policy,
    )
    save_model(out, about, data, result, scores, notice)
    return Trained(data, result, scores)


@dataclass(frozen=True)
class CurvePoint:
    share: float
    articles: int
    model_f1: float  # the model alone (spaCy's scorer), best checkpoint
    chain_f1: float  # the suggestion chain with it, exact match
    seconds: float


def subset(records: Sequence[Record], share: float, seed: int) -> list[Record]:
    """A seeded share of the articles; a smaller share is a part of a larger one (same order)."""
    from annotations.export.splits import assign

    if share >= 1:
        return list(records)
    hashes = [r.input_hash or 0 for r in records]
    part = assign(hashes, (share, 1 - share), seed)
    return [r for r, h in zip(records, hashes, strict=True) if part[h] == "train"]


def curve(
    opts: TrainOptions,
    *,
    warn: Callable[[str], None],
    on_point: Callable[[CurvePoint], None] | None = None,
    on_eval: Callable[[Evaluation], None] | None = None,
    shares: Sequence[float] = CURVE,
) -> list[CurvePoint]:
    opts.check()
    base = inspect_base(opts.base)
    data, scheme = load_data(opts, warn)
    points = []
    for share in shares:
        part = subset(data.train, share, opts.seed)
        result = fit_in_temp(
            part,
            data.eval,
            data.labels,
            base,
            "relecture-train-curve-",
            seed=opts.seed,
            max_minutes=opts.max_minutes,
            max_steps=opts.max_steps,
            on_eval=on_eval,
        )
        found = chain_suggestions(data.eval, scheme, "trained", result.nlp)
        point = CurvePoint(
            share, len(part), result.f1, score(data.eval, found, data.labels).f1, result.seconds
        )
        points.append(point)
        if on_point is not None:
            on_point(point)
    return points
