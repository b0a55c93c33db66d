"""The agreement report as a sum over chunks of articles: flat memory whatever the corpus.

`score_chunk(corpus, match)` scores a `Corpus` of some of the shared articles (all of them, or a
chunk read by a worker process: `agreement.chunks`) into `ChunkScores`: counts only, keyed by the
chunk's own labels (span matches and totals per pair and label, the confusion matrix, Cohen's
tables, the sums Fleiss' κ and Krippendorff's α are made of, α_U's pieces), and per article its
F1, its disagreement count and, as JSON, its `per_article` entry and its disagreements.
`Totals.add` sums chunks in article order into label-indexed accumulators and writes the JSON
entries to a store (memory, or a temporary file for a large corpus); `Totals.report` makes the
`AgreementReport`, with exactly the values the whole corpus at once would give:

- every count is an integer sum; the coefficients are computed once, from the sums, the labels
  in name order (as the whole corpus orders them), so their floating point is the same;
- Krippendorff's Σ_c o_cc adds 2·(agreeing pairs)/(m_u − 1) over units: summed per m_u as
  integers, then divided exactly (`fractions.Fraction`), so the order of the units does not
  matter;
- α_U's observed disagreement is a sum over articles (units of two articles never overlap: they
  are laid end to end); its expected disagreement needs N_c, the units' lengths and the gaps of
  every rater over the whole continuum: the lengths and the gaps within a chunk are counted per
  value, the gap between two chunks is closed when the next chunk comes (`first`/`last` unit of
  each rater), then the formula of `unitizing.alpha_u` is applied to the counts as integers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import combinations
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import orjson

from annotations.agreement.load import Corpus, lex_order
from annotations.agreement.spans import span_agreement
from annotations.agreement.tokens import Tokenizer, TokenSums, token_labels, token_sums
from annotations.agreement.unitizing import UnitParts, UnitTotals, corpus_study, unit_parts

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# --- a chunk -------------------------------------------------------------------------------


@dataclass
class ChunkScores:
    """One chunk's contribution (see the module docstring); label k is `labels[k]`."""

    labels: list[str]
    articles: int
    complete: int  # articles every annotator annotated
    bad_spans: int
    spans: IntArray  # per annotator
    pair_shared: npt.NDArray[np.bool_]  # per pair: both annotated an article here
    pair_matched: IntArray  # (pairs, labels)
    pair_total: IntArray
    confusion: IntArray  # (labels + 1)², O last
    tokens: TokenSums
    units: UnitParts
    f1: FloatArray  # per article (NaN: undefined)
    disagreements: IntArray  # per article
    entries: list[bytes]  # per article, its `per_article` entry as JSON
    found: list[bytes]  # per article, its disagreements as JSON objects joined by commas


def _disagreement(corpus: Corpus, sa: Any, x: int) -> dict[str, Any]:
    d = sa.disagreement(corpus, x)
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


def score_chunk(corpus: Corpus, match: str, tokenizer: Tokenizer | None = None) -> ChunkScores:
    names = corpus.annotators
    N = len(corpus.articles)
    sa = span_agreement(corpus, match)
    per_pair = np.where(
        sa.pair_present & (sa.article_total > 0),
        2.0 * sa.article_matched / np.maximum(sa.article_total, 1),
        np.nan,
    )
    defined = ~np.isnan(per_pair)
    n_def = defined.sum(axis=1)
    sums = np.where(defined, per_pair, 0.0).sum(axis=1)
    art_f1 = [float(s / n) if n else None for s, n in zip(sums, n_def, strict=True)]
    art_spans = np.bincount(corpus.span_article, minlength=N)
    entries = [
        orjson.dumps(
            {
                "article": art.name,
                "input_hash": art.input_hash,
                "annotators": [names[i] for i in art.annotators],
                "f1": art_f1[a],
                "spans": int(art_spans[a]),
                "disagreements": int(sa.article_disagreements[a]),
            }
        )
        for a, art in enumerate(corpus.articles)
    ]
    found: list[list[bytes]] = [[] for _ in range(N)]
    for x in lex_order(sa.dis_article, sa.dis_start, sa.dis_end).tolist():
        found[int(sa.dis_article[x])].append(orjson.dumps(_disagreement(corpus, sa, x)))
    tokens = token_sums(token_labels(corpus, tokenizer))
    return ChunkScores(
        labels=list(corpus.labels),
        articles=N,
        complete=int(corpus.present.all(axis=1).sum()),
        bad_spans=int(corpus.excluded.get("invalid_spans", 0)),
        spans=np.bincount(corpus.span_annotator, minlength=len(names)).astype(np.int64),
        pair_shared=np.asarray(sa.pair_present.any(axis=0), dtype=bool),
        pair_matched=sa.pair_matched,
        pair_total=sa.pair_total,
        confusion=sa.confusion,
        tokens=tokens,
        units=unit_parts(corpus_study(corpus)),
        f1=np.array([np.nan if f is None else f for f in art_f1], dtype=np.float64),
        disagreements=sa.article_disagreements.astype(np.int64),
        entries=entries,
        found=[b",".join(items) for items in found],
    )


# --- the sum -------------------------------------------------------------------------------


class Store:
    """Bytes written one after the other, read back by (offset, length): in memory, or in a
    temporary file (deleted when closed) for a large corpus."""

    def __init__(self, on_disk: bool = False) -> None:
        import tempfile

        self._fh: IO[bytes] = tempfile.TemporaryFile() if on_disk else io.BytesIO()  # noqa: SIM115
        self._size = 0

    def put(self, data: bytes) -> tuple[int, int]:
        at = self._size
        self._fh.write(data)
        self._size += len(data)
        return at, len(data)

    def get(self, at: int, n: int) -> bytes:
        self._fh.seek(at)
        data = self._fh.read(n)
        self._fh.seek(self._size)
        return data

    def close(self) -> None:
        self._fh.close()


def _grow(a: IntArray, size: int, axes: tuple[int, ...]) -> IntArray:
    pad = [(0, size - a.shape[k]) if k in axes else (0, 0) for k in range(a.ndim)]
    return np.pad(a, pad) if any(p[1] for p in pad) else a


class Totals:
    """The chunks' scores summed, in article order (see the module docstring). Labels are
    numbered as they come; `sorted_labels` puts them in name order."""

    def __init__(self, annotators: list[str], match: str, store: Store) -> None:
        self.annotators = annotators
        self.match = match
        self.store = store
        n = len(annotators)
        self.pairs = list(combinations(range(n), 2))
        P = len(self.pairs)
        self.labels: dict[str, int] = {}
        self.articles = 0
        self.complete = 0
        self.bad_spans = 0
        self.spans = np.zeros(n, dtype=np.int64)
        self.pair_shared = np.zeros(P, dtype=bool)
        self.pair_matched = np.zeros((P, 0), dtype=np.int64)
        self.pair_total = np.zeros((P, 0), dtype=np.int64)
        self.confusion = np.zeros((0, 0), dtype=np.int64)  # by label id, O apart
        self.confusion_o = np.zeros(0, dtype=np.int64)  # (label, O): symmetric
        self.cohen: dict[tuple[int, int], IntArray] = {}  # (1 + labels)², O first
        self.tokens = TokenSums(n, 1, fleiss_totals=np.zeros(1, np.int64))
        self.tokens.alpha_n_c = np.zeros(1, np.int64)
        self.units = UnitTotals()
        self.f1: list[FloatArray] = []
        self.dis: list[IntArray] = []
        self.where: list[IntArray] = []  # per article: entry offset, length; found offset, length

    def _ids(self, labels: list[str]) -> IntArray:
        for name in labels:
            if name not in self.labels:
                self.labels[name] = len(self.labels)
        return np.array([self.labels[n] for n in labels], dtype=np.int64)

    def add(self, c: ChunkScores) -> None:
        ids = self._ids(c.labels)
        K = len(self.labels)
        self.pair_matched = _grow(self.pair_matched, K, (1,))
        self.pair_total = _grow(self.pair_total, K, (1,))
        self.confusion = _grow(self.confusion, K, (0, 1))
        self.confusion_o = _grow(self.confusion_o, K, (0,))
        self.articles += c.articles
        self.complete += c.complete
        self.bad_spans += c.bad_spans
        self.spans += c.spans
        self.pair_shared |= c.pair_shared
        if len(ids):
            self.pair_matched[:, ids] += c.pair_matched
            self.pair_total[:, ids] += c.pair_total
            k = len(ids)
            self.confusion[np.ix_(ids, ids)] += c.confusion[:k, :k]
            self.confusion_o[ids] += c.confusion[:k, k]
        # tokens: categories 0 (O) and 1 + label
        cats = np.concatenate([[0], 1 + ids]).astype(np.int64)
        t = self.tokens
        s = c.tokens
        for pair, table in s.cohen_table.items():
            mine = _grow(self.cohen.get(pair, np.zeros((1, 1), np.int64)), K + 1, (0, 1))
            mine[np.ix_(cats, cats)] += table
            self.cohen[pair] = mine
        t.fleiss_units += s.fleiss_units
        t.fleiss_sum_sq += s.fleiss_sum_sq
        t.fleiss_totals = _grow(t.fleiss_totals, K + 1, (0,))
        t.fleiss_totals[cats] += s.fleiss_totals
        t.alpha_units += s.alpha_units
        t.alpha_values += s.alpha_values
        t.alpha_background += s.alpha_background
        t.alpha_agreeing.update(s.alpha_agreeing)
        t.alpha_n_c = _grow(t.alpha_n_c, K + 1, (0,))
        t.alpha_n_c[cats] += s.alpha_n_c
        self.units.add(c.units)
        self.f1.append(c.f1)
        self.dis.append(c.disagreements)
        put = self.store.put
        self.where.append(
            np.array(
                [(*put(e), *put(d)) for e, d in zip(c.entries, c.found, strict=True)],
                dtype=np.int64,
            ).reshape(-1, 4)
        )

    def sorted_labels(self) -> tuple[list[str], IntArray]:
        """The labels in name order, and for each its id here."""
        names = sorted(self.labels)
        return names, np.array([self.labels[n] for n in names], dtype=np.int64)

    def token_sums(self) -> TokenSums:
        """The token sums with the categories in the whole corpus's order (O, labels by name)."""
        _, ids = self.sorted_labels()
        cats = np.concatenate([[0], 1 + ids]).astype(np.int64)
        t = self.tokens
        K = len(self.labels)
        out = TokenSums(t.n_raters, K + 1)
        for pair, table in self.cohen.items():
            out.cohen_table[pair] = _grow(table, K + 1, (0, 1))[np.ix_(cats, cats)]
        out.fleiss_units = t.fleiss_units
        out.fleiss_sum_sq = t.fleiss_sum_sq
        out.fleiss_totals = _grow(t.fleiss_totals, K + 1, (0,))[cats]
        out.alpha_units = t.alpha_units
        out.alpha_values = t.alpha_values
        out.alpha_background = t.alpha_background
        out.alpha_agreeing = t.alpha_agreeing
        out.alpha_n_c = _grow(t.alpha_n_c, K + 1, (0,))[cats]
        return out

    def confusion_matrix(self) -> IntArray:
        """(labels + 1)², labels by name, O last."""
        _, ids = self.sorted_labels()
        K = len(ids)
        out = np.zeros((K + 1, K + 1), dtype=np.int64)
        out[:K, :K] = self.confusion[np.ix_(ids, ids)]
        out[:K, K] = self.confusion_o[ids]
        out[K, :K] = self.confusion_o[ids]
        return out
