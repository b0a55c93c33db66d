"""Pass 2 of `relecture agree`: a chunk of shared articles read again and scored, on a worker.

`tasks(plan, match)` cuts the shared articles of a `Plan` (`agreement.index`) into chunks of
`CHUNK` articles, in order; each `ChunkTask` says where its records are (file, byte offset and
length of each line, checked in pass 1). `score_task` reads those lines, builds the chunk's
`Corpus` as `load.assemble` builds the whole one (same spans, same order, labels of the chunk),
gives the articles without tokens spaCy's (`tokens_of`) and returns its `scores.ChunkScores`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.agreement.index import Inline, Plan
from annotations.agreement.load import Article, Corpus, LabelIds, assemble
from annotations.agreement.scores import ChunkScores, score_chunk
from annotations.records import name_from_meta
from annotations.store.lines import decode_line
from annotations.stream.line_check import counted, token_bounds

CHUNK = 500  # articles per task
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ChunkTask:
    paths: tuple[str, ...]
    names: tuple[str, ...]  # every annotator (the report's), sorted
    match: str
    hashes: tuple[int, ...]  # per article
    ids: tuple[str, ...]  # per article
    first_record: I64  # per article, its first record below (and one past the last)
    annotator: I64  # per record
    file: I64
    start: I64  # -1: `inline[length]`
    length: I64
    inline: dict[int, Inline]


def tasks(plan: Plan, match: str, size: int | None = None) -> Iterator[ChunkTask]:
    size = size or CHUNK
    paths = tuple(plan.paths)
    names = tuple(plan.names)
    for a0 in range(0, plan.articles, size):
        a1 = min(plan.articles, a0 + size)
        r0, r1 = int(plan.first_record[a0]), int(plan.first_record[a1])
        start = plan.start[r0:r1]
        length = plan.length[r0:r1]
        inline = {int(k): plan.inline[int(k)] for k in length[start < 0].tolist()}
        articles = [plan.article(a) for a in range(a0, a1)]
        yield ChunkTask(
            paths,
            names,
            match,
            tuple(h for h, _ in articles),
            tuple(i for _, i in articles),
            plan.first_record[a0 : a1 + 1] - r0,
            plan.annotator[r0:r1],
            plan.file[r0:r1],
            start,
            length,
            inline,
        )


def tokens_of(texts: list[str]) -> list[npt.NDArray[np.int32]]:
    """spaCy's French tokens of each text (as `tokenize.tokenize`) that agreement counts."""
    from annotations.tokenize import french_tokenizer

    nlp = french_tokenizer()
    return [counted(((t.idx, t.idx + len(t)) for t in nlp.make_doc(text)), text) for text in texts]


def _read(task: ChunkTask) -> Iterator[tuple[str, str | None, I64, list[str], Any]]:
    """Each record of the task, in order, as `index.Inline` (its tokens may be left as they
    are in the line: `chunk_corpus` makes boundaries of those it uses)."""
    handles: dict[int, Any] = {}
    try:
        for f, at, n in zip(
            task.file.tolist(), task.start.tolist(), task.length.tolist(), strict=True
        ):
            if at < 0:
                yield task.inline[n]
                continue
            fh = handles.get(f)
            if fh is None:
                fh = handles[f] = open(task.paths[f], "rb")  # noqa: SIM115 (closed below)
            fh.seek(at)
            obj = decode_line(fh.read(n), task.paths[f], 0)  # checked in pass 1
            labels: dict[str, int] = {}
            rows = [
                (s["start"], s["end"], labels.setdefault(s["label"], len(labels)))
                for s in obj.get("spans") or ()
            ]
            yield (
                obj["text"],
                name_from_meta(obj.get("meta")),
                np.array(rows, dtype=np.int64).reshape(-1, 3),
                list(labels),
                obj.get("tokens"),
            )
    finally:
        for fh in handles.values():
            fh.close()


def chunk_corpus(task: ChunkTask) -> Corpus:
    """The chunk's articles and spans, as `collect.Latest.corpus` makes the whole corpus."""
    names = list(task.names)
    n_art = len(task.hashes)
    records = _read(task)
    present = np.zeros((n_art, len(names)), dtype=bool)
    lengths = np.zeros(n_art, dtype=np.int64)
    articles: list[Article] = []
    label_ids = LabelIds()
    rows: list[tuple[int, int, int, int, int]] = []  # article, annotator, start, end, label
    bounds = task.first_record.tolist()
    annotators = task.annotator.tolist()
    for a in range(n_art):
        who = tuple(annotators[bounds[a] : bounds[a + 1]])
        text = ""
        name = None
        tokens = None
        for k, i in enumerate(who):
            r_text, r_name, spans, labels, r_tokens = next(records)
            if k == 0:
                text, name = r_text, r_name
            if tokens is None and r_tokens is not None:
                tokens = (
                    r_tokens if isinstance(r_tokens, np.ndarray) else token_bounds(r_tokens, r_text)
                )
            ids = [label_ids[label] for label in labels]
            rows.extend((a, i, s, e, ids[k]) for s, e, k in spans.tolist())
        article_id = task.ids[a]
        articles.append(
            Article(task.hashes[a], article_id if name is None else name, text, tokens, who)
        )
        lengths[a] = len(text)
        present[a, list(who)] = True
    cols = np.array(rows, dtype=np.int64).reshape(-1, 5)
    return assemble(
        names,
        Counter(),
        Counter(),
        articles,
        present,
        lengths,
        span_article=cols[:, 0].copy(),
        span_annotator=cols[:, 1].copy(),
        span_start=cols[:, 2].copy(),
        span_end=cols[:, 3].copy(),
        span_label=cols[:, 4].copy(),
        label_names=label_ids.names,
    )


def score_task(task: ChunkTask) -> ChunkScores:
    """Pass 2 of one chunk (see the module docstring)."""
    corpus = chunk_corpus(task)
    missing = [a for a in corpus.articles if a.tokens is None]
    if missing:
        for art, bounds in zip(missing, tokens_of([a.text for a in missing]), strict=True):
            art.tokens = bounds
    return score_chunk(corpus, task.match)
