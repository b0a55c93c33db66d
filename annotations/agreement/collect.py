"""`relecture agree`'s reading path: files into a `Corpus` in flat memory, on every core.

The files are read by `stream.lean.read_files` (JSONL on the workers, per line only what
agreement needs; other formats here, as `load.records_from_files` reads them). Whatever the
format, the latest record per annotator and article (input hash and text) is all that is kept
(`Latest`: its answer, name, spans and token boundaries as bytes, the text once per article), a
superseded record dropped when its successor arrives. `Latest.corpus()` then builds what
`load.build_corpus` builds from the same records (same articles in the same order, same spans,
same notes), and the articles without tokens are tokenised by the workers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.agreement.load import (
    EXCLUDED_ANSWERS,
    Article,
    Corpus,
    LabelIds,
    assemble,
    need_shared,
    need_two_annotators,
)
from annotations.formats import annotator_name
from annotations.identity import ids_from_hashes
from annotations.records import Record, input_hash, name_from_meta
from annotations.stream.lean import (
    PartRecords,
    counted,
    input_bytes,
    pick_runner,
    read_files,
    text_digest,
)
from annotations.stream.progress import Progress, Silent
from annotations.stream.runner import Runner

TOKENIZE_BATCH = 500  # articles per tokenising task

# (answer, meta name, spans as int64 (start, end, label) triples, tokens as int32 (start, end)
# pairs or None)
Slot = tuple[str | None, str | None, bytes, bytes | None]


class Latest:
    """The latest record per annotator and article, compact (see the module docstring)."""

    def __init__(self) -> None:
        # per file, (annotator, hash, digest) -> its latest record there
        self.files: dict[int, dict[tuple[str, int, int], Slot]] = {}
        self.texts: dict[tuple[int, int], str] = {}  # (hash, digest) -> text
        self.labels = LabelIds()

    @property
    def slots(self) -> dict[tuple[str, int, int], Slot]:
        """The latest record per annotator and article over the files in order, each where it
        first appeared (`store.latest`)."""
        merged: dict[tuple[str, int, int], Slot] = {}
        for i in sorted(self.files):
            merged.update(self.files[i])
        return merged

    def _text(self, h: int, digest: int, text: str) -> None:
        if (h, digest) not in self.texts:
            self.texts[(h, digest)] = text

    def add_part(self, part: PartRecords, default: str) -> None:
        remap = np.array([self.labels[name] for name in part.labels], dtype=np.int64)
        spans = part.spans.astype(np.int64)
        if len(spans):
            spans[:, 2] = remap[spans[:, 2]]
        span_bytes = spans.tobytes()
        token_bytes = part.tokens.tobytes()
        slots = self.files.setdefault(part.file, {})
        s_at = 0
        t_at = 0
        for i, (annotator, h, digest) in enumerate(
            zip(part.annotators, part.hashes, part.digests, strict=True)
        ):
            n_spans = int(part.span_counts[i])
            n_tokens = int(part.token_counts[i])
            tokens = None
            if n_tokens >= 0:
                tokens = token_bytes[t_at * 8 : (t_at + n_tokens) * 8]
                t_at += n_tokens
            self._text(h, digest, part.texts[i])
            key = (default if annotator is None else annotator, h, digest)
            slots[key] = (
                part.answers[i],
                part.names[i],
                span_bytes[s_at * 24 : (s_at + n_spans) * 24],
                tokens,
            )
            s_at += n_spans

    def add_record(self, file: int, record: Record, default: str) -> None:
        text = record.text
        h = record.input_hash if record.input_hash is not None else input_hash(text)
        digest = text_digest(text)
        self._text(h, digest, text)
        spans = [(s.start, s.end, self.labels[s.label]) for s in record.spans or ()]
        tokens = None
        if record.tokens is not None:
            tokens = counted(((t.start, t.end) for t in record.tokens), text).tobytes()
        annotator = default if record.annotator is None else record.annotator
        self.files.setdefault(file, {})[(annotator, h, digest)] = (
            record.answer,
            name_from_meta(record.meta),
            np.array(spans, dtype=np.int64).reshape(-1, 3).tobytes(),
            tokens,
        )

    def corpus(self) -> Corpus:
        """What `load.build_corpus` makes of the same records."""
        excluded: Counter[str] = Counter({answer: 0 for answer in EXCLUDED_ANSWERS})
        per_annotator: Counter[str] = Counter()
        groups: dict[tuple[int, int], dict[str, Slot]] = {}
        for (annotator, h, digest), slot in self.slots.items():
            answer = slot[0]
            if answer in EXCLUDED_ANSWERS:
                excluded[answer] += 1
                continue
            per_annotator[annotator] += 1
            group = groups.get((h, digest))
            if group is None:
                groups[(h, digest)] = {annotator: slot}
            else:
                group[annotator] = slot
        names = sorted(per_annotator)
        need_two_annotators(names, excluded)
        article_ids = ids_from_hashes([h for h, _ in groups])
        shared = [
            (article_id, key, recs)
            for article_id, (key, recs) in zip(article_ids, groups.items(), strict=True)
            if len(recs) >= 2
        ]
        need_shared(shared, names, per_annotator)
        excluded["single_annotator_articles"] = len(groups) - len(shared)

        index = {n: i for i, n in enumerate(names)}
        n_art = len(shared)
        present = np.zeros((n_art, len(names)), dtype=bool)
        lengths = np.zeros(n_art, dtype=np.int64)
        articles: list[Article] = []
        span_bytes: list[bytes] = []
        sizes: list[int] = []
        owner_annotator: list[int] = []
        for a, (article_id, (h, digest), recs) in enumerate(shared):
            ordered = sorted(recs.items(), key=lambda kv: index[kv[0]])
            first = ordered[0][1]
            text = self.texts[(h, digest)]
            raw = next((s[3] for _, s in ordered if s[3] is not None), None)
            tokens = None if raw is None else np.frombuffer(raw, np.int32).reshape(-1, 2)
            who = tuple(index[n] for n, _ in ordered)
            name = first[1] if first[1] is not None else article_id
            articles.append(Article(h, name, text, tokens, who))
            lengths[a] = len(text)
            present[a, list(who)] = True
            for n, slot in ordered:
                span_bytes.append(slot[2])
                sizes.append(len(slot[2]) // 24)
                owner_annotator.append(index[n])
        size = np.array(sizes, dtype=np.int64)
        owner_article = np.repeat(np.arange(n_art, dtype=np.int64), [len(r) for *_, r in shared])
        spans = np.frombuffer(b"".join(span_bytes), np.int64).reshape(-1, 3)
        return assemble(
            names,
            per_annotator,
            excluded,
            articles,
            present,
            lengths,
            span_article=np.repeat(owner_article, size),
            span_annotator=np.repeat(np.array(owner_annotator, dtype=np.int64), size),
            span_start=spans[:, 0].copy(),
            span_end=spans[:, 1].copy(),
            span_label=spans[:, 2].copy(),
            label_names=self.labels.names,
        )


def _tokenize(texts: list[str]) -> list[npt.NDArray[np.int32]]:
    """spaCy's French tokens of each text (as `tokenize.tokenize`) that agreement counts."""
    from annotations.tokenize import french_tokenizer

    nlp = french_tokenizer()
    return [counted(((t.idx, t.idx + len(t)) for t in nlp.make_doc(text)), text) for text in texts]


def tokenize_missing(corpus: Corpus, run: Runner, progress: Progress) -> None:
    """Give the articles that no record brought tokens for their spaCy tokens, on the workers."""
    missing = [a for a in corpus.articles if a.tokens is None]
    if not missing:
        return
    progress.phase("tokenising", len(missing), "articles")
    batches = [
        [a.text for a in missing[i : i + TOKENIZE_BATCH]]
        for i in range(0, len(missing), TOKENIZE_BATCH)
    ]
    at = 0
    for result in run.map(_tokenize, batches):
        for bounds in result:
            missing[at].tokens = bounds
            at += 1
        progress.advance(len(result), len(result))


def corpus_from_files(
    files: Iterable[str | Path],
    progress: Progress | None = None,
    processes: int | None = None,
    tokenize: bool = True,
    read_options: Mapping[str, Any] | None = None,
) -> Corpus:
    """The corpus `build_corpus(records_from_files(files))` gives, read on every core. Bad
    input raises `InputError`, too little to compare `AgreementError`. `tokenize=False`: the
    articles without tokens are left so (`token_labels` tokenises them). `read_options`: what
    `formats.read` is given besides the path and format."""
    paths = [Path(p) for p in files]
    bar = progress or Silent()
    latest = Latest()
    defaults = [annotator_name(p) for p in paths]
    read_files(
        paths,
        None,
        True,
        on_part=lambda part: latest.add_part(part, defaults[part.file]),
        on_record=lambda i, record: latest.add_record(i, record, defaults[i]),
        progress=bar,
        processes=processes,
        read_options=read_options,
    )
    corpus = latest.corpus()
    latest.files.clear()  # the corpus has what it needs: free the rest before the report
    latest.texts.clear()
    if tokenize and any(a.tokens is None for a in corpus.articles):
        run = pick_runner(input_bytes(paths), processes)
        try:
            tokenize_missing(corpus, run, bar)
        finally:
            run.close()
    return corpus
