"""MODEL_DIR, written whole or not at all (`annotations.store.atomic`): a normal spaCy pipeline
(`spacy.load(MODEL_DIR)` works, and `--model MODEL_DIR` in suggest and annotate), its
`README.md` (data, split, seed, base, how training went, the scores side by side) and
`relecture-model.json` (the same facts for programs; it marks the folder as ours, so that
`--force` may replace it and nothing else)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotations.store import atomic
from annotations.suggest.model import TRAINED_NAME
from annotations.train.config import final_config
from annotations.train.data import TrainingData
from annotations.train.run import Fit
from annotations.train.scores import Scores, fmt, side_by_side

MARKER = "relecture-model.json"


@dataclass
class About:
    """How the model was made, as the command line said it."""

    inputs: list[str]
    base: str
    seed: int
    max_minutes: float | None
    eval_inputs: list[str] = field(default_factory=list)
    policy: str | None = None


def check_model_target(out: Path, force: bool, reads: Any = ()) -> None:
    atomic.check_target(out, force, MARKER, "a model written by relecture train", reads)


def facts(about: About, data: TrainingData, fit: Fit, scores: dict[str, Scores]) -> dict[str, Any]:
    return {
        "tool": "relecture train",
        "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "inputs": about.inputs,
        "eval_inputs": about.eval_inputs,
        "policy": data.selection.policy,
        "base": about.base,
        "seed": about.seed,
        "split": data.split,
        "labels": data.labels,
        "train_articles": len(data.train),
        "eval_articles": len(data.eval),
        "train_tokens": fit.words,
        "training_seconds": round(fit.seconds, 1),
        "stopped": fit.stopped,
        "evaluations": [[e.step, round(e.seconds, 1), round(e.f1, 4)] for e in fit.evaluations],
        "model_f1": fit.f1,
        "model_f1_per_label": fit.per_label,
        "scores": {name: s.as_dict() for name, s in scores.items()},
    }


def readme(about: About, data: TrainingData, fit: Fit, scores: dict[str, Scores]) -> str:
    model = next(iter(reversed(scores.values())))
    lines = [
        "# NER model trained by relecture",
        "",
        f"A spaCy pipeline ({', '.join(fit.nlp.pipe_names)}) for {', '.join(data.labels)}, "
        f"trained from `{about.base}` on {len(data.train):,} curated articles "
        f"({fit.words:,} tokens). Exact-match F1 of the suggestions with this model on the "
        f"evaluation articles: **{fmt(model.f1)}**.",
        "",
        "## Use it",
        "",
        "```",
        "relecture suggest ARTICLES -o OUT.jsonl --model THIS_FOLDER",
        "relecture annotate ARTICLES -o OUT.jsonl --annotator NAME --model THIS_FOLDER",
        "python -c \"import spacy; nlp = spacy.load('THIS_FOLDER')\"",
        "```",
        "",
        "## Data",
        "",
        f"- inputs: {', '.join(f'`{i}`' for i in about.inputs)}",
        f"- selection: latest record per annotator and article, accepted; policy "
        f"`{data.selection.policy}`",
        *(f"- {line}" for line in data.describe()),
        f"- seed: {about.seed}",
        "",
        "## Training",
        "",
        f"spaCy's training loop (`spacy.training.loop.train`), config in `config.cfg`; base "
        f"`{about.base}`. {len(fit.evaluations)} evaluations in {fit.seconds:.0f} s "
        f"(setup {fit.setup_seconds:.0f} s); stopped: {fit.stopped}. Best F1 of the model "
        f"alone on the evaluation articles: {fmt(fit.f1)} "
        f"({', '.join(f'{k} {fmt(v)}' for k, v in sorted(fit.per_label.items()))}).",
        "",
        "| step | seconds | F1 |",
        "|---:|---:|---:|",
        *(f"| {e.step} | {e.seconds:.0f} | {fmt(e.f1)} |" for e in fit.evaluations),
        "",
        "## Scores on the evaluation articles",
        "",
        "Exact match (same characters, same label), over the labels the data uses; the "
        "suggestion chain is the rules and the model, as `relecture suggest` runs them.",
        "",
        "```",
        *side_by_side(scores, data.labels),
        "```",
        "",
    ]
    return "\n".join(lines)


def save_model(
    out: Path,
    about: About,
    data: TrainingData,
    fit: Fit,
    scores: dict[str, Scores],
    notice: Any = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write `out` whole; `extra` facts go into its MARKER beside the usual ones."""
    nlp = fit.nlp
    final_config(nlp.config)
    nlp.meta.update(
        {
            "name": TRAINED_NAME,
            "version": "0.0.1",
            "description": f"NER for {', '.join(data.labels)} trained by relecture train",
            "labels": {"ner": list(nlp.get_pipe("ner").labels)},
            "performance": {"ents_f": fit.f1, "ents_per_type": fit.per_label},
        }
    )
    info = facts(about, data, fit, scores) | (extra or {})
    with atomic.written_whole(out, "train", notice) as tmp:
        nlp.to_disk(tmp)
        (tmp / "README.md").write_text(readme(about, data, fit, scores), encoding="utf-8")
        (tmp / MARKER).write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2))
