"""The export's `README.md`: what is in it, how it was made and how to train on it.

For the Hugging Face format it is a dataset card: a YAML header in the shape `datasets` reads
(`configs` pointing at the parquet files, so that `load_dataset(DIR)` works, and `dataset_info`
with the declared features, ClassLabel names included), then the human part. Every format gets
the human part: splits, a label table with span counts per split, annotators and the selection
policy, agreement when the input has several annotators, how the data was made (inputs, answers
left out, split rule, alignment), and the commands to load or train.

Agreement is not computed here: `agreement` is a hook (a mapping from measure name to a number,
or to a mapping label -> number) filled by whoever calls the export.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotations.export.select import Selection


@dataclass
class SplitStats:
    name: str  # as the format names it: train / dev (validation for HF) / test
    file: str  # file (or folder) holding it, relative to the export folder
    rows: int = 0
    articles: int = 0
    tokens: int = 0
    spans: Counter[str] = field(default_factory=Counter)
    nbytes: int = 0  # Arrow size (HF)


@dataclass
class Summary:
    fmt: str
    title: str
    out: str  # the export folder as given on the command line
    inputs: list[str]
    labels: list[str]
    label_source: str  # "scheme news-fr", "the data (--any-label)", ...
    selection: Selection
    ratios: tuple[float, ...]
    seed: int
    align: str
    splits: list[SplitStats]
    empty_splits: list[str]
    warnings: int = 0
    agreement: Mapping[str, Any] | None = None
    language: str | None = None


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _num(value: Any) -> str:
    if value is None:
        return "—"  # undefined (for instance no span at all on the shared articles)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return _md(str(value))


def label_table(summary: Summary) -> list[str]:
    names = [s.name for s in summary.splits]
    lines = [
        "| label | " + " | ".join(names) + " | total |",
        "|---|" + "---:|" * (len(names) + 1),
    ]
    for label in summary.labels:
        counts = [s.spans.get(label, 0) for s in summary.splits]
        lines.append(
            f"| {_md(label)} | " + " | ".join(f"{c:,}" for c in counts) + f" | {sum(counts):,} |"
        )
    totals = [sum(s.spans.values()) for s in summary.splits]
    lines.append("| **all** | " + " | ".join(f"{c:,}" for c in totals) + f" | {sum(totals):,} |")
    return lines


def agreement_lines(summary: Summary) -> list[str]:
    sel = summary.selection
    if sel.multi_annotated == 0:
        return []
    out = ["## Agreement", ""]
    if not summary.agreement:
        out += [
            f"{sel.multi_annotated:,} articles were annotated by several people. Agreement was not "
            f"computed for this export; `relecture agree {' '.join(summary.inputs)}` reports it.",
            "",
        ]
        return out
    scalars = {k: v for k, v in summary.agreement.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in summary.agreement.items() if isinstance(v, Mapping)}
    if scalars:
        out += ["| measure | value |", "|---|---:|"]
        out += [f"| {_md(str(k))} | {_num(v)} |" for k, v in scalars.items()]
        out.append("")
    for name, table in tables.items():
        out += [f"{_md(str(name))}:", "", "| label | value |", "|---|---:|"]
        out += [f"| {_md(str(k))} | {_num(v)} |" for k, v in table.items()]
        out.append("")
    return out


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _ratios(ratios: Sequence[float]) -> str:
    return ",".join(f"{r:g}" for r in ratios)


def how_made(summary: Summary) -> list[str]:
    sel = summary.selection
    out = [
        "## How the data was made",
        "",
        f"- Exported by `relecture export` from {', '.join(f'`{i}`' for i in summary.inputs)}.",
    ]
    out += [f"- {line}." for line in sel.report_lines()]
    out += [
        "- Only articles answered `accept` (or with no answer, as in files from doccano, brat, "
        "CoNLL or HF) are exported; for each annotator and article the latest record counts.",
        f"- Policy `{sel.policy}`: " + _POLICY_TEXT[sel.policy],
        f"- Splits `{_ratios(summary.ratios)}` with seed {summary.seed}: articles (grouped by "
        "`_input_hash`, so one text is never in two splits) in a seeded hash order, cut by "
        "largest remainder."
        + (
            f" Empty, so not written: {', '.join(summary.empty_splits)}."
            if summary.empty_splits
            else ""
        ),
        '- Tokens: the records\' own (spaCy French tokenizer, `spacy.blank("fr")`, for records '
        f"that had none). Spans off token boundaries: `--align {summary.align}`"
        + (
            f" ({summary.warnings:,} warnings, printed during the export)."
            if summary.warnings
            else " (none found)."
        ),
        f"- Labels: {summary.label_source}.",
    ]
    return out


_POLICY_TEXT = {
    "gold": "one record per article (the input is adjudicated, or has one annotator per article).",
    "majority": "one row per article; a span is kept when more than half of the annotators who "
    "accepted the article have it (same offsets and label).",
    "annotator": "one annotator's records only.",
    "all": "one row per annotator and article; the `annotators` field says whose.",
}


def _usage(summary: Summary) -> list[str]:
    out = summary.out
    files = {s.name: s.file for s in summary.splits}
    if summary.fmt == "hf":
        return [
            "## Use",
            "",
            "```python",
            "import datasets",
            f'ds = datasets.load_from_disk("{out}")  # or datasets.load_dataset("{out}")',
            'names = ds["train"].features["ner_tags"].feature.names  # O, B-…, I-…',
            "```",
            "",
            "`tokens` and `ner_tags` are the columns the token-classification example of "
            "`transformers` (`run_ner.py`) reads, with `train` / `validation` / `test` splits; "
            "`spans` has the character offsets into `text`.",
        ]
    if summary.fmt == "spacy":
        dev = files.get("dev")
        note = []
        if dev is None:
            dev = files["train"]
            note = [
                "",
                "There is no dev split (too few articles): the commands evaluate on the train "
                "set, which says nothing about generalisation.",
            ]
        train = files["train"]
        return [
            "## Train",
            "",
            "From this folder:",
            "",
            "```sh",
            f"python -m spacy train config.cfg --paths.train {train} --paths.dev {dev} "
            "--output model",
            "```",
            "",
            "or from where the export was made:",
            "",
            "```sh",
            f"python -m spacy train {out}/config.cfg --paths.train {out}/{train} "
            f"--paths.dev {out}/{dev} --output {out}/model",
            "```",
            "",
            "`config.cfg` is a blank French pipeline (tok2vec + ner, no vectors). The trained "
            'pipeline loads with `spacy.load("model/model-best")`.',
            *note,
        ]
    if summary.fmt == "conll":
        return [
            "## Layout",
            "",
            "CoNLL-2003 style: `token TAG` per line (IOB2), a blank line after each sentence, "
            "`-DOCSTART- -X- -X- O` before each article. Sentences end at line breaks and after "
            "sentence-final punctuation, never inside an entity; whitespace tokens are not written.",
        ]
    shape = {
        "jsonl": "relecture records (`schema/record.schema.json`), with tokens and spans",
        "prodigy": "Prodigy `ner_manual` records (`prodigy db-in` reads them)",
        "doccano": 'doccano sequence labelling: `{"text": …, "label": [[start, end, "LABEL"]]}`',
    }[summary.fmt]
    return ["## Layout", "", f"One JSON object per line: {shape}."]


def human_part(summary: Summary) -> str:
    sel = summary.selection
    lines = [
        f"# {_md(summary.title)}",
        "",
        f"Span annotations exported as `{summary.fmt}` by relecture: "
        f"{_plural(len(summary.labels), 'label')}, "
        f"{_plural(sum(s.rows for s in summary.splits), 'example')}.",
        "",
        "## Splits",
        "",
        "| split | file | examples | articles | tokens | spans |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for s in summary.splits:
        lines.append(
            f"| {s.name} | `{_md(s.file)}` | {s.rows:,} | {s.articles:,} | {s.tokens:,} | "
            f"{sum(s.spans.values()):,} |"
        )
    lines += ["", "## Labels", "", *label_table(summary), ""]
    lines += [
        "## Annotators",
        "",
        (
            f"{_plural(len(sel.annotators), 'annotator')}: {', '.join(sel.annotators)}"
            if sel.annotators
            else "No annotator is named in the input"
        )
        + f"; policy `{sel.policy}`.",
        "",
    ]
    lines += agreement_lines(summary)
    lines += how_made(summary)
    lines += ["", *_usage(summary), ""]
    return "\n".join(lines)


def hf_yaml(summary: Summary, features: Any) -> str:
    """The YAML header of a dataset card: configs (parquet files) and dataset_info (features)."""
    import datasets
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    card = DatasetCardData(
        language=[summary.language] if summary.language else None,
        task_categories=["token-classification"],
        task_ids=["named-entity-recognition"],
        pretty_name=summary.title,
    )
    split_dict = datasets.SplitDict()
    for s in summary.splits:
        split_dict.add(datasets.SplitInfo(name=s.name, num_bytes=s.nbytes, num_examples=s.rows))
    info = datasets.DatasetInfo(features=features, splits=split_dict)
    DatasetInfosDict({"default": info}).to_dataset_card_data(card)
    MetadataConfigs(
        {"default": {"data_files": [{"split": s.name, "path": s.file} for s in summary.splits]}}
    ).to_dataset_card_data(card)
    return str(card.to_yaml())


def readme(summary: Summary, features: Any = None) -> str:
    body = human_part(summary)
    if summary.fmt == "hf":
        return f"---\n{hf_yaml(summary, features)}\n---\n\n{body}"
    return body
