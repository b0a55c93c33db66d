"""The whole agreement report as one plain object: `agreement_report(records, match)`.

It puts together span F1 (`spans`), the token-level coefficients (`tokens`), α_U
(`unitizing`), the confusion matrix, the per-article scores (worst first) and the list of
disagreements, with a `notes` list saying, in words, every value that is undefined and why (the
values themselves are None, never NaN). `AgreementReport.as_dict()` is what `--json` prints.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from annotations.agreement.load import AgreementError, Corpus, build_corpus, lex_order
from annotations.agreement.spans import MATCH_MODES, SpanAgreement, span_agreement
from annotations.agreement.tokens import Tokenizer, token_agreement, token_labels
from annotations.agreement.unitizing import alpha_u, corpus_study
from annotations.records import Record

NONE_LABEL = "O"
IntArray = npt.NDArray[np.int64]


def pair_key(a: str, b: str) -> str:
    """`A|B`: the two annotator ids sorted and joined by `|`."""
    return "|".join(sorted((a, b)))


@dataclass
class ArticleScore:
    article: str
    input_hash: int
    annotators: list[str]
    f1: float | None  # mean over the pairs of its annotators (None: nobody has a span)
    spans: int  # over all its annotators
    disagreements: int


class Disagreements(Sequence[dict[str, Any]]):
    """The disagreements, worst article first then by position, each made into a dict only when
    asked for (a large corpus has tens of thousands; a table shows twenty)."""

    def __init__(self, corpus: Corpus, sa: SpanAgreement, order: IntArray) -> None:
        self._corpus = corpus
        self._sa = sa
        self._order = order

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, k: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, k: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, k: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(k, slice):
            return [self._item(int(x)) for x in self._order[k]]
        return self._item(int(self._order[k]))

    def _item(self, x: int) -> dict[str, Any]:
        corpus = self._corpus
        d = self._sa.disagreement(corpus, x)
        art = corpus.articles[d.article]
        labels = corpus.labels
        names = corpus.annotators
        return {
            "article": art.name,
            "input_hash": art.input_hash,
            "start": d.start,
            "end": d.end,
            "text": art.text[d.start : d.end],
            "kind": d.kind,
            "annotations": {
                names[i]: [
                    {"start": s, "end": e, "label": labels[k], "text": art.text[s:e]}
                    for s, e, k in spans
                ]
                for i, spans in d.spans.items()
            },
        }


@dataclass
class AgreementReport:
    match: str
    annotators: list[str]
    articles: int  # seen by ≥ 2 annotators: the ones counted
    articles_all_annotators: int
    spans: dict[str, int]  # per annotator, on the counted articles
    excluded: dict[str, int]
    f1_mean: float | None
    f1_std: float | None
    f1_pairs: dict[str, float | None]
    f1_per_label: dict[str, float | None]
    f1_per_label_std: dict[str, float | None]
    cohen_mean: float | None
    cohen_pairs: dict[str, float | None]
    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    tokens: int  # tokens with at least two labels (Krippendorff's units)
    alpha_u: float | None
    alpha_u_per_label: dict[str, float | None]
    confusion_labels: list[str]
    confusion: list[list[int]]
    per_article: list[ArticleScore]
    disagreements: Sequence[dict[str, Any]]  # built lazily: see Disagreements
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "articles": self.articles,
            "articles_all_annotators": self.articles_all_annotators,
            "annotators": self.annotators,
            "spans": self.spans,
            "excluded": self.excluded,
            "pairwise_f1": {
                "mean": self.f1_mean,
                "std": self.f1_std,
                "pairs": self.f1_pairs,
                "per_label": self.f1_per_label,
                "per_label_std": self.f1_per_label_std,
            },
            "cohen_kappa": {"mean": self.cohen_mean, "pairs": self.cohen_pairs},
            "fleiss_kappa": self.fleiss_kappa,
            "krippendorff_alpha": self.krippendorff_alpha,
            "tokens": self.tokens,
            "alpha_u": {
                "overall": self.alpha_u,
                "per_label": self.alpha_u_per_label,
                "articles": self.articles_all_annotators,
            },
            "confusion": {"labels": self.confusion_labels, "counts": self.confusion},
            "per_article": [vars(a) for a in self.per_article],
            "disagreements": list(self.disagreements),
            "notes": self.notes,
        }


def _mean_std(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    defined = [v for v in values if v is not None]
    if not defined:
        return None, None
    arr = np.array(defined, dtype=np.float64)
    return float(arr.mean()), float(arr.std())  # population SD, as bratiaa (np.std)


def _f1(matched: int, total: int) -> float | None:
    return 2.0 * matched / total if total else None


def agreement_report(
    records: Iterable[Record], match: str = "exact", tokenizer: Tokenizer | None = None
) -> AgreementReport:
    """Everything `relecture agree` shows. Raises `AgreementError` when there are fewer than two
    annotators or no article two of them annotated."""
    if match not in MATCH_MODES:
        raise AgreementError(f"--match must be one of {', '.join(MATCH_MODES)}, not {match!r}")
    with no_gc():
        return report_from_corpus(build_corpus(records), match, tokenizer)


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the report makes millions of short-lived tuples and
    never a reference cycle, and full collections over the records' tokens would cost more
    than the report (about a third of the time on 10k articles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def report_from_corpus(
    corpus: Corpus, match: str = "exact", tokenizer: Tokenizer | None = None
) -> AgreementReport:
    names = corpus.annotators
    labels = corpus.labels
    notes = list(corpus.notes)
    sa = span_agreement(corpus, match)
    keys = [pair_key(names[i], names[j]) for i, j in sa.pairs]
    shared = [bool(sa.pair_present[:, p].any()) for p in range(len(keys))]  # share an article

    # span F1
    f1_pairs: dict[str, float | None] = {}
    for p, key in enumerate(keys):
        if shared[p]:
            f1_pairs[key] = _f1(int(sa.pair_matched[p].sum()), int(sa.pair_total[p].sum()))
    f1_mean, f1_std = _mean_std(f1_pairs.values())
    f1_per_label: dict[str, float | None] = {}
    f1_per_label_std: dict[str, float | None] = {}
    for k, label in enumerate(labels):
        values = [
            _f1(int(sa.pair_matched[p, k]), int(sa.pair_total[p, k]))
            for p in range(len(keys))
            if shared[p]
        ]
        f1_per_label[label], f1_per_label_std[label] = _mean_std(values)
    spans = np.bincount(corpus.span_annotator, minlength=len(names))
    if len(corpus.span_start) == 0:
        notes.append(
            "no annotator has any span on the shared articles: span F1 is undefined "
            "(they agree that there is nothing to annotate)"
        )
    else:
        for i, name in enumerate(names):
            if spans[i] == 0:
                notes.append(
                    f"{name} has no span on the shared articles: their F1 with anyone who has "
                    "spans is 0"
                )
        for key, value in f1_pairs.items():
            if value is None:
                notes.append(f"F1 {key} undefined: neither has a span on the articles they share")
    unshared = [keys[p] for p in range(len(keys)) if not shared[p]]
    if unshared:
        notes.append(
            f"{len(unshared)} pair(s) share no article and are not scored: {', '.join(unshared)}"
        )

    # tokens
    ta = token_agreement(token_labels(corpus, tokenizer))
    cohen: dict[str, float | None] = {}
    for (i, j), kappa in ta.cohen.items():
        key = pair_key(names[i], names[j])
        cohen[key] = kappa
        if kappa is None:
            notes.append(
                f"Cohen's κ {key} undefined: both gave every token the same label, so no "
                "disagreement is expected by chance (they are identical)"
            )
    cohen_mean, _ = _mean_std(cohen.values())
    fleiss_k, fleiss_units = ta.fleiss, ta.fleiss_tokens
    alpha, alpha_units = ta.alpha, ta.alpha_tokens
    complete = int(corpus.present.all(axis=1).sum())
    if fleiss_k is None:
        if complete == 0:
            notes.append(
                f"Fleiss' κ and α_U need articles every annotator annotated: none of the "
                f"{len(corpus.articles)} shared articles was annotated by all {len(names)}"
            )
        elif fleiss_units == 0:
            notes.append("Fleiss' κ undefined: the articles everyone annotated have no tokens")
        else:
            notes.append(
                "Fleiss' κ undefined: every token has the same label from every annotator "
                "(identical annotations, no disagreement expected by chance)"
            )
    if alpha is None:
        notes.append(
            "Krippendorff's α undefined: "
            + (
                "every token has the same label (identical annotations, no disagreement "
                "expected by chance)"
                if alpha_units
                else "no token is labelled by two annotators"
            )
        )

    # unitizing α
    alpha_u_value: float | None = None
    alpha_u_labels: dict[str, float | None] = {}
    study = corpus_study(corpus)
    if study is not None:
        result = alpha_u(study)
        alpha_u_value = result.alpha
        alpha_u_labels = {label: c.alpha for label, c in result.per_category.items()}
        if alpha_u_value is None and complete:
            notes.append("α_U undefined: no span on the articles every annotator annotated")

    # per article, worst first
    per_pair = np.where(
        sa.pair_present & (sa.article_total > 0),
        2.0 * sa.article_matched / np.maximum(sa.article_total, 1),
        np.nan,
    )
    defined = ~np.isnan(per_pair)
    n_def = defined.sum(axis=1)
    sums = np.where(defined, per_pair, 0.0).sum(axis=1)
    art_f1 = [float(s / n) if n else None for s, n in zip(sums, n_def, strict=True)]
    art_spans = np.bincount(corpus.span_article, minlength=len(corpus.articles))
    order = sorted(
        range(len(corpus.articles)),
        key=lambda a: (
            art_f1[a] is None,
            art_f1[a] if art_f1[a] is not None else 0.0,
            -int(sa.article_disagreements[a]),
            a,
        ),
    )
    per_article = [
        ArticleScore(
            corpus.articles[a].name,
            corpus.articles[a].input_hash,
            [names[i] for i in corpus.articles[a].annotators],
            art_f1[a],
            int(art_spans[a]),
            int(sa.article_disagreements[a]),
        )
        for a in order
    ]
    rank = np.empty(len(order), dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(order))
    dis_order = lex_order(rank[sa.dis_article], sa.dis_start, sa.dis_end)
    disagreements = Disagreements(corpus, sa, dis_order)
    if not len(disagreements) and len(corpus.span_start):
        notes.append("the annotators agree on every span of every shared article")

    return AgreementReport(
        match=match,
        annotators=names,
        articles=len(corpus.articles),
        articles_all_annotators=complete,
        spans={n: int(spans[i]) for i, n in enumerate(names)},
        excluded=corpus.excluded,
        f1_mean=f1_mean,
        f1_std=f1_std,
        f1_pairs=f1_pairs,
        f1_per_label=f1_per_label,
        f1_per_label_std=f1_per_label_std,
        cohen_mean=cohen_mean,
        cohen_pairs=cohen,
        fleiss_kappa=fleiss_k,
        krippendorff_alpha=alpha,
        tokens=alpha_units,
        alpha_u=alpha_u_value,
        alpha_u_per_label=alpha_u_labels,
        confusion_labels=[*labels, NONE_LABEL],
        confusion=sa.confusion.tolist(),
        per_article=per_article,
        disagreements=disagreements,
        notes=notes,
    )
