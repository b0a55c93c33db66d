"""The whole agreement report as one plain object: `agreement_report(records, match)`.

It puts together span F1 (`spans`), the token-level coefficients (`tokens`), α_U
(`unitizing`), the confusion matrix, the per-article scores (worst first) and the list of
disagreements, with a `notes` list saying, in words, every value that is undefined and why (the
values themselves are None, never NaN). `AgreementReport.as_dict()` is what `--json` prints, and
`AgreementReport.json()` the same bytes in pieces.

Everything is computed from sums over chunks of articles (`scores`): `report_from_corpus` scores
a corpus held whole as one chunk, `collect.report_from_files` sums the chunks its workers score;
the per-article scores and the disagreements are JSON in a store (`scores.Store`), read back in
report order only when shown or written (`ArticleScores`, `Disagreements`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import orjson

from annotations.agreement.load import AgreementError, Corpus, build_corpus
from annotations.agreement.scores import Store, Totals, score_chunk
from annotations.agreement.spans import MATCH_MODES
from annotations.agreement.tokens import Tokenizer, token_coefficients
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


class ArticleScores(Sequence[ArticleScore]):
    """The per-article scores, worst first, each read from the store (its JSON entry) only
    when asked for: a corpus of a million articles has a million."""

    def __init__(self, store: Store, order: IntArray, where: IntArray) -> None:
        self._store = store
        self._order = order
        self._where = where  # per article (corpus order): offset, length of its entry

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, k: int) -> ArticleScore: ...

    @overload
    def __getitem__(self, k: slice) -> list[ArticleScore]: ...

    def __getitem__(self, k: int | slice) -> ArticleScore | list[ArticleScore]:
        if isinstance(k, slice):
            return [ArticleScore(**orjson.loads(self.raw(int(a)))) for a in self._order[k]]
        return ArticleScore(**orjson.loads(self.raw(int(self._order[k]))))

    def __iter__(self) -> Iterator[ArticleScore]:
        for a in self._order.tolist():
            yield ArticleScore(**orjson.loads(self.raw(a)))

    def raw(self, a: int) -> bytes:
        """Article `a`'s entry, as JSON."""
        at, n = self._where[a]
        return self._store.get(int(at), int(n))

    def json(self) -> Iterator[bytes]:
        for a in self._order.tolist():
            yield self.raw(a)


class Disagreements(Sequence[dict[str, Any]]):
    """The disagreements, worst article first then by position, each made into a dict only when
    asked for (a large corpus has millions; a table shows twenty): per article, its
    disagreements are one JSON block in the store."""

    def __init__(self, store: Store, order: IntArray, where: IntArray, counts: IntArray) -> None:
        self._store = store
        self._order = order[counts[order] > 0]  # the articles with some, worst first
        self._where = where  # per article: offset, length of its block
        self._ends = np.cumsum(counts[self._order])

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    @overload
    def __getitem__(self, k: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, k: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, k: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(k, slice):
            return [self[x] for x in range(*k.indices(len(self)))]
        n = len(self)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError(k)
        r = int(np.searchsorted(self._ends, k, side="right"))
        before = int(self._ends[r - 1]) if r else 0
        block: list[dict[str, Any]] = orjson.loads(b"[" + self._block(r) + b"]")
        return block[k - before]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for r in range(len(self._order)):
            yield from orjson.loads(b"[" + self._block(r) + b"]")

    def _block(self, r: int) -> bytes:
        at, n = self._where[int(self._order[r])]
        return self._store.get(int(at), int(n))

    def json(self) -> Iterator[bytes]:
        for r in range(len(self._order)):
            yield self._block(r)


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
    per_article: Sequence[ArticleScore]  # read lazily: see ArticleScores
    disagreements: Sequence[dict[str, Any]]  # read lazily: see Disagreements
    notes: list[str] = field(default_factory=list)

    def _head(self) -> dict[str, Any]:
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
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self._head(),
            "per_article": [vars(a) for a in self.per_article],
            "disagreements": list(self.disagreements),
            "notes": self.notes,
        }

    def json(self) -> Iterator[bytes]:
        """`orjson.dumps(self.as_dict())` in pieces: the per-article entries and the
        disagreements as they are read from the store, never all of them at once."""
        yield orjson.dumps(self._head())[:-1] + b',"per_article":['
        yield from _joined(_pieces(self.per_article, lambda a: orjson.dumps(vars(a))))
        yield b'],"disagreements":['
        yield from _joined(_pieces(self.disagreements, orjson.dumps))
        yield b'],"notes":' + orjson.dumps(self.notes) + b"}"


def _pieces(items: Sequence[Any], dump: Callable[[Any], bytes]) -> Iterator[bytes]:
    """The JSON of each item (the store's own bytes when the items come from one)."""
    if isinstance(items, ArticleScores | Disagreements):
        return items.json()
    return map(dump, items)


def _joined(pieces: Iterator[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """The pieces joined by commas, in blocks of about `size` bytes."""
    block: list[bytes] = []
    n = 0
    sep = b""
    for piece in pieces:
        block.append(piece)
        n += len(piece) + 1
        if n >= size:
            yield sep + b",".join(block)
            block, n, sep = [], 0, b","
    if block:
        yield sep + b",".join(block)


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
    """The report of a corpus held whole: one chunk (`scores`)."""
    totals = Totals(corpus.annotators, match, Store())
    totals.add(score_chunk(corpus, match, tokenizer))
    return report_from_totals(totals, dict(corpus.excluded), list(corpus.notes))


def report_from_totals(t: Totals, excluded: dict[str, int], notes: list[str]) -> AgreementReport:
    """The report from the chunks' sums; `excluded` and `notes` say what was left out."""
    names = t.annotators
    match = t.match
    labels, ids = t.sorted_labels()
    notes = list(notes)
    keys = [pair_key(names[i], names[j]) for i, j in t.pairs]
    shared = t.pair_shared.tolist()  # share an article
    matched = t.pair_matched[:, ids] if len(ids) else np.zeros((len(keys), 0), np.int64)
    total = t.pair_total[:, ids] if len(ids) else np.zeros((len(keys), 0), np.int64)

    # span F1
    f1_pairs: dict[str, float | None] = {}
    for p, key in enumerate(keys):
        if shared[p]:
            f1_pairs[key] = _f1(int(matched[p].sum()), int(total[p].sum()))
    f1_mean, f1_std = _mean_std(f1_pairs.values())
    f1_per_label: dict[str, float | None] = {}
    f1_per_label_std: dict[str, float | None] = {}
    for k, label in enumerate(labels):
        values = [_f1(int(matched[p, k]), int(total[p, k])) for p in range(len(keys)) if shared[p]]
        f1_per_label[label], f1_per_label_std[label] = _mean_std(values)
    spans = t.spans
    if int(spans.sum()) == 0:
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
    ta = token_coefficients(t.token_sums())
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
    complete = t.complete
    if fleiss_k is None:
        if complete == 0:
            notes.append(
                f"Fleiss' κ and α_U need articles every annotator annotated: none of the "
                f"{t.articles} shared articles was annotated by all {len(names)}"
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
    if complete:
        per_label, alpha_u_value = t.units.alpha(labels)
        alpha_u_labels = {label: c.alpha for label, c in per_label.items()}
        if alpha_u_value is None:
            notes.append("α_U undefined: no span on the articles every annotator annotated")

    # per article, worst first
    f1 = np.concatenate(t.f1) if t.f1 else np.zeros(0)
    dis = np.concatenate(t.dis) if t.dis else np.zeros(0, np.int64)
    where = np.concatenate(t.where) if t.where else np.zeros((0, 4), np.int64)
    undefined = np.isnan(f1)
    order = np.lexsort((np.arange(len(f1)), -dis, np.where(undefined, 0.0, f1), undefined))
    per_article = ArticleScores(t.store, order, where[:, :2])
    disagreements = Disagreements(t.store, order, where[:, 2:], dis)
    if not len(disagreements) and int(spans.sum()):
        notes.append("the annotators agree on every span of every shared article")

    return AgreementReport(
        match=match,
        annotators=names,
        articles=t.articles,
        articles_all_annotators=complete,
        spans={n: int(spans[i]) for i, n in enumerate(names)},
        excluded=excluded,
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
        confusion=t.confusion_matrix().tolist(),
        per_article=per_article,
        disagreements=disagreements,
        notes=notes,
    )
