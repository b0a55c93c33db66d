"""What a model is trained and evaluated on: the records an export would hold (latest record per
annotator and article, `accept`ed or without an answer, `--policy` when several annotators), on
their tokens with their spans aligned to them, cut into a training and an evaluation part.

The evaluation part is either other files (`--eval FILE...`; an article found in both is kept
for evaluation only) or a seeded share of the articles (`--eval-split`, in the seeded order export
splits use). An article is its text here: the same text under two `_input_hash` values (files
of two tools merged) is never on both sides. Every label must be in the scheme; scores count the labels the data uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotations.align import Policy
from annotations.errors import InputError, UsageError
from annotations.export.prepare import prepare_row
from annotations.export.select import Row, Selection, parse_policy, select
from annotations.export.splits import assign
from annotations.labels import LabelScheme
from annotations.records import Record
from annotations.records import input_hash as text_hash

DEFAULT_EVAL_SPLIT = 0.2


@dataclass
class TrainingData:
    train: list[Record]
    eval: list[Record]
    labels: list[str]  # the scheme's labels the data uses, in the scheme's order
    split: str  # how the evaluation part was made, for the report and the model's README
    selection: Selection
    notes: list[str] = field(default_factory=list)  # what was left out, and why

    def describe(self) -> list[str]:
        return [
            f"train: {_articles(self.train)}, {_spans(self.train)}",
            f"eval: {_articles(self.eval)}, {_spans(self.eval)} ({self.split})",
            f"labels: {', '.join(self.labels)}",
            *self.notes,
        ]


def _articles(records: Sequence[Record]) -> str:
    return f"{len(records):,} article{'s' * (len(records) != 1)}"


def _spans(records: Sequence[Record]) -> str:
    n = sum(len(r.spans or ()) for r in records)
    return f"{n:,} span{'s' * (n != 1)}"


def rows_of(
    pairs: Iterable[tuple[Record, str]],
    scheme: LabelScheme,
    policy: str | None,
    annotator: str | None,
    warn: Callable[[str], None],
    what: str = "train on",
) -> tuple[list[Row], Selection]:
    """The selected rows, on tokens, with every span labelled from the scheme (else `file:line`)."""
    name_policy, name = parse_policy(policy, annotator)
    selection = select(pairs, name_policy, name, purpose=what)
    if not selection.rows:
        left = ", ".join(f"{n:,} {why}" for why, n in selection.left_out.items() if n)
        raise UsageError(f"nothing to {what}: no accepted article" + (f" ({left})" if left else ""))
    allowed = frozenset(scheme.names)
    for row in selection.rows:
        for span in row.record.spans or ():
            if span.label not in allowed:
                raise InputError(
                    row.where,
                    0,
                    f"span {span.start}-{span.end} has label {span.label!r}, which is not in the "
                    f"label scheme {scheme.name!r} ({', '.join(scheme.names)}); give the scheme "
                    "with --labels FILE",
                )
        prepare_row(row, Policy.SPLIT, allowed, one_tag_per_token=True, warn=warn)
    assert isinstance(selection.rows, list)  # `select` makes a list
    return selection.rows, selection


def split_data(
    rows: Sequence[Row],
    selection: Selection,
    scheme: LabelScheme,
    eval_rows: Sequence[Row] | None = None,
    eval_split: float = DEFAULT_EVAL_SPLIT,
    seed: int = 0,
    eval_name: str = "",
) -> TrainingData:
    """Cut rows into train and eval (`eval_rows` given: those are the eval part)."""
    notes: list[str] = []
    if eval_rows is not None:
        # by text: the same article under another `_input_hash` (a Prodigy export merged with
        # ours) is still the same article
        held = {row.record.text for row in eval_rows}
        train = [row.record for row in rows if row.record.text not in held]
        both = len(rows) - len(train)
        if both:
            notes.append(
                f"left out of training: {both:,} article{'s' * (both != 1)} also in {eval_name}"
            )
        evaluation = [row.record for row in eval_rows]
        split = f"--eval {eval_name}"
    else:
        if not 0 < eval_split < 1:
            raise UsageError(f"--eval-split must be between 0 and 1 (got {eval_split})")
        group = [text_hash(row.record.text) for row in rows]  # by text, as above
        part = assign(group, (1 - eval_split, eval_split), seed)
        train = [row.record for row, g in zip(rows, group, strict=True) if part[g] == "train"]
        evaluation = [row.record for row, g in zip(rows, group, strict=True) if part[g] == "dev"]
        split = f"{eval_split:g} of the articles held out, seed {seed}"
        if not evaluation:
            n = len(set(group))
            raise UsageError(
                f"the evaluation split is empty: {n:,} article{'s' * (n != 1)} (too few for "
                f"--eval-split {eval_split:g}); annotate more or give --eval FILE"
            )
    if not train:
        raise UsageError(f"nothing to train on: every accepted article is also in {eval_name}")
    used = {s.label for r in (*train, *evaluation) for s in r.spans or ()}
    labels = [label for label in scheme.names if label in used]
    if not any(s.label in used for r in train for s in r.spans or ()):
        raise UsageError("nothing to learn: the accepted training articles have no spans")
    return TrainingData(train, evaluation, labels, split, selection, notes)


def records_of(
    paths: Sequence[Path], input_format: str | None, warn: Callable[[str], None]
) -> Iterable[tuple[Record, str]]:
    """(record, `file:line`) from files of any readable format, as the export reads them."""
    from annotations.export.options import NoProgress
    from annotations.export.run import read_inputs

    return read_inputs(paths, input_format, Policy.SPLIT, warn, NoProgress())
