"""`relecture train FILE... -o MODEL_DIR` and `relecture train-curve FILE...`: a spaCy NER trained
on curated records, and whether more annotation still pays."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from annotations.cli import options
from annotations.cli.errors import echo, one_line_errors, terminated_unwinds
from annotations.text_safety import literal, safe_text
from annotations.train.config import DEFAULT_BASE
from annotations.train.data import DEFAULT_EVAL_SPLIT
from annotations.train.job import CurvePoint, TrainOptions, curve, train
from annotations.train.run import Evaluation
from annotations.train.scores import side_by_side

BASE = typer.Option(
    DEFAULT_BASE,
    "--base",
    help="Pipeline whose ner is fine-tuned (name or path), or 'blank' for a new one.",
)
EVAL = typer.Option(
    [], "--eval", help="Evaluate on these files instead of a split (repeatable).", readable=False
)
EVAL_SPLIT = typer.Option(
    DEFAULT_EVAL_SPLIT, "--eval-split", help="Share of the articles held out for evaluation."
)
SEED = typer.Option(0, "--seed", help="Seed of the split and of training.")
MAX_MINUTES = typer.Option(10.0, "--max-minutes", min=0.01, help="Stop training after this long.")
MAX_STEPS = typer.Option(
    0, "--max-steps", min=0, help="Stop after this many updates (0: no limit)."
)
POLICY = typer.Option(
    None, "--policy", help="Several annotators: majority, annotator:NAME or all (as export)."
)
BASELINE = typer.Option(
    DEFAULT_BASE,
    "--baseline",
    help="Model of the chain the trained one is compared with ('none': the rules alone).",
)


class _Bar:
    """Training progress on stderr: a bar over the time allowed, the last and best dev F1 (one
    line per evaluation when stderr is not a terminal)."""

    def __init__(self, console: Console, max_minutes: float, label: str = "train") -> None:
        self.console = console
        self.label = label
        self.total = max_minutes * 60
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> _Bar:
        if self.console.is_terminal:
            self.progress = Progress(
                TextColumn("{task.description}", markup=False),
                BarColumn(),
                TextColumn("{task.fields[scores]}", markup=False),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=self.total, scores="reading")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def line(self, text: str) -> None:
        """A line of the command's output while the bar is drawn: above the bar when both go to
        the terminal (echoed to stdout under a live bar, it was drawn into the bar's line)."""
        if self.progress is not None and sys.stdout.isatty():
            self.progress.console.print(safe_text(text), markup=False, highlight=False)
        else:
            echo(text)

    def phase(self, name: str) -> None:
        if self.progress is not None and self.task is not None:
            text = "loading the base model, first evaluation" if name == "training" else name
            self.progress.update(self.task, scores=text)

    def evaluation(self, e: Evaluation) -> None:
        text = f"step {e.step}: dev F1 {e.f1:.3f} (best {e.best:.3f})"
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=min(e.seconds, self.total), scores=text)
        else:
            self.console.print(f"{self.label} {text}", markup=False, highlight=False)


def _options(
    files: list[Path],
    base: str,
    labels: Path | None,
    eval_files: list[Path],
    eval_split: float,
    seed: int,
    max_minutes: float,
    max_steps: int,
    policy: str | None,
    fmt: str | None,
    baseline: str,
    force: bool = False,
) -> TrainOptions:
    return TrainOptions(
        inputs=list(files),
        base=base,
        labels=labels,
        eval_inputs=list(eval_files),
        eval_split=eval_split,
        seed=seed,
        max_minutes=max_minutes,
        max_steps=max_steps,
        policy=policy,
        input_format=fmt,
        baseline=baseline,
        force=force,
    )


@one_line_errors
def train_command(
    files: list[Path] = typer.Argument(
        ..., help="Curated records (any readable format).", readable=False
    ),
    out: Path = typer.Option(..., "-o", "--out", help="The model folder to write."),
    base: str = BASE,
    labels: Path | None = options.LABELS,
    eval_files: list[Path] = EVAL,
    eval_split: float = EVAL_SPLIT,
    seed: int = SEED,
    max_minutes: float = MAX_MINUTES,
    max_steps: int = MAX_STEPS,
    policy: str | None = POLICY,
    fmt: str | None = options.FORMAT,
    baseline: str = BASELINE,
    force: bool = typer.Option(False, "--force", help="Replace an earlier model in MODEL_DIR."),
) -> None:
    """Train a spaCy NER pipeline on curated records; use it with --model MODEL_DIR."""
    console = Console(stderr=True, soft_wrap=True)
    opts = _options(
        files,
        base,
        labels,
        eval_files,
        eval_split,
        seed,
        max_minutes,
        max_steps,
        policy,
        fmt,
        baseline,
        force,
    )
    with terminated_unwinds(), _Bar(console, max_minutes) as bar:
        done = train(
            opts,
            out,
            warn=lambda m: console.print(literal(f"warning: {m}")),
            on_eval=bar.evaluation,
            on_phase=bar.phase,
            notice=lambda m: console.print(literal(m)),
        )
    for line in done.data.describe():
        echo(line)
    f = done.fit
    echo(
        f"trained in {f.seconds:.0f} s ({len(f.evaluations)} evaluation{'s' * (len(f.evaluations) != 1)}; "
        f"stopped: {f.stopped}); "
        f"model alone: F1 {f.f1:.3f}"
    )
    echo("exact-match scores of the suggestions on the evaluation articles:")
    for line in side_by_side(done.scores, done.data.labels):
        echo(line)
    echo(f"model → {out} (use it with --model {out})")


@one_line_errors
def train_curve_command(
    files: list[Path] = typer.Argument(
        ..., help="Curated records (any readable format).", readable=False
    ),
    base: str = BASE,
    labels: Path | None = options.LABELS,
    eval_files: list[Path] = EVAL,
    eval_split: float = EVAL_SPLIT,
    seed: int = SEED,
    max_minutes: float = typer.Option(5.0, "--max-minutes", min=0.01, help="Per training run."),
    max_steps: int = MAX_STEPS,
    policy: str | None = POLICY,
    fmt: str | None = options.FORMAT,
) -> None:
    """Train on 25, 50, 75 and 100 % of the data: does more annotation still pay?"""
    console = Console(stderr=True, soft_wrap=True)
    opts = _options(
        files,
        base,
        labels,
        eval_files,
        eval_split,
        seed,
        max_minutes,
        max_steps,
        policy,
        fmt,
        "none",
    )
    head = f"{'share':>6} {'articles':>9} {'model F1':>9} {'chain F1':>9} {'change':>8} {'time':>6}"
    with terminated_unwinds(), _Bar(console, max_minutes, "train-curve") as bar:
        bar.line(head)
        previous: list[CurvePoint] = []

        def show(p: CurvePoint) -> None:
            change = f"{p.chain_f1 - previous[-1].chain_f1:+.3f}" if previous else ""
            previous.append(p)
            bar.line(
                f"{p.share:>6.0%} {p.articles:>9,} {p.model_f1:>9.3f} {p.chain_f1:>9.3f} "
                f"{change:>8} {p.seconds:>5.0f}s"
            )

        points = curve(
            opts,
            warn=lambda m: console.print(literal(f"warning: {m}")),
            on_point=show,
            on_eval=bar.evaluation,
        )
    if len(points) > 1:
        gain = points[-1].chain_f1 - points[-2].chain_f1
        verdict = (
            "the last quarter still helped: more annotation should pay"
            if gain > 0.005
            else "the last quarter barely moved it: more of the same data may not pay"
        )
        echo(verdict)
