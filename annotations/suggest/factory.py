"""Building the suggestion chain from command-line style options."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from annotations.formats import read
from annotations.labels import LabelScheme
from annotations.suggest.base import Suggester
from annotations.suggest.chain import Chain
from annotations.suggest.memory import Memory
from annotations.suggest.model import ModelSuggester
from annotations.suggest.patterns import PatternSuggester
from annotations.suggest.rules import bundled


def load_memory(files: Sequence[Path]) -> Memory:
    memory = Memory()
    for path in files:
        memory.learn_all(item.record for item in read(path))
    return memory


def build_chain(
    model: str | None = "fr_core_news_md",
    patterns: Sequence[Path] = (),
    learn_from: Sequence[Path] = (),
    n_process: int = 1,
    scheme: LabelScheme | None = None,
    rules: bool = True,
    known: bool = True,
    memory: Memory | None = None,
) -> tuple[Chain, Memory]:
    """The chain (memory, patterns, rules, model) and its memory, which callers may keep
    teaching. `model=None` (or "none") leaves the model out."""
    memory = memory if memory is not None else load_memory(learn_from)
    suggesters: list[Suggester] = [memory]
    suggesters += [PatternSuggester.from_file(p) for p in patterns]
    bundled_patterns = bundled(rules=rules, known=known)
    if bundled_patterns is not None:
        suggesters.append(bundled_patterns)
    if model and model.lower() != "none":
        suggesters.append(ModelSuggester(model, n_process=n_process))
    return Chain(suggesters, scheme), memory
