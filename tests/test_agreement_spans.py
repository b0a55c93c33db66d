"""Span F1, confusion and disagreements: bratiaa's published pairwise F1 (total, per label, per
document) from the three shapes of its example data, and the vectorised code against a plain
re-implementation of the definitions on random corpora."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest

from annotations.agreement import (
    AgreementError,
    agreement_report,
    build_corpus,
    records_from_files,
)
from annotations.agreement.spans import match_spans, span_agreement
from annotations.records import Record, Span, Token
from tests.conftest import CASES, REFERENCE, need

BRAT = REFERENCE / "bratiaa_example" / "example-files" / "example-project"
AS_PRODIGY = REFERENCE / "derived" / "bratiaa_as_prodigy_multiannotator.jsonl"
DOCCANO = REFERENCE / "derived" / "doccano_per_user"
FOUR = 5e-5


def whitespace_tokens(text: str) -> list[Token]:
    import re

    return [
        Token(m.group(), m.start(), m.end(), i) for i, m in enumerate(re.finditer(r"\S+", text))
    ]


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(need(CASES).read_text("utf-8"))["bratiaa_pairwise_f1"]
    return data["expected"]


@pytest.mark.parametrize("source", ["prodigy", "brat", "doccano"])
def test_bratiaa_published_f1(source: str, expected: dict[str, Any]) -> None:
    if source == "prodigy":
        paths = [need(AS_PRODIGY)]
    elif source == "brat":
        paths = [need(BRAT)]
    else:
        paths = sorted(need(DOCCANO).glob("*.jsonl"))
    report = agreement_report(records_from_files(paths), "exact", tokenizer=whitespace_tokens)
    assert len(report.annotators) == 4
    assert report.articles == 7 and report.articles_all_annotators == 7
    total = expected["instance_total"]
    assert report.f1_mean == pytest.approx(total["mean"], abs=FOUR)
    assert report.f1_std == pytest.approx(total["sd"], abs=FOUR)
    per_label = expected["instance_per_label_LOC_MISC_ORG_PER"]
    for k, label in enumerate(["LOC", "MISC", "ORG", "PER"]):
        assert report.f1_per_label[label] == pytest.approx(per_label["mean"][k], abs=FOUR)
        assert report.f1_per_label_std[label] == pytest.approx(per_label["sd"][k], abs=FOUR)
    by_doc = {a.article: a.f1 for a in report.per_article}
    docs = sorted(by_doc)  # the documents sorted by name, as in the reference
    assert len(docs) == 7
    for doc, mean in zip(
        docs, expected["instance_per_document_sorted_by_name"]["mean"], strict=True
    ):
        assert by_doc[doc] == pytest.approx(mean, abs=FOUR)
    # worst first
    scores = [a.f1 for a in report.per_article]
    assert scores == sorted(scores)


def test_bratiaa_token_level_consistency() -> None:
    """Not published: the reference's own IO-token values with \\S+ tokens (κ = α = 0.9666)."""
    report = agreement_report(records_from_files([need(AS_PRODIGY)]), tokenizer=whitespace_tokens)
    assert report.cohen_mean == pytest.approx(0.9666, abs=FOUR)
    assert report.fleiss_kappa == pytest.approx(0.9666, abs=FOUR)
    assert report.krippendorff_alpha == pytest.approx(0.9666, abs=FOUR)
    assert report.tokens == 5107


def test_bratiaa_alpha_u_per_document() -> None:
    """Not published: the reference's per-document α_U on the character continuum."""
    cases = json.loads(need(CASES).read_text("utf-8"))
    values = cases["bratiaa_pairwise_f1"]["self_computed_unpublished"][
        "alpha_u_per_doc_char_continuum"
    ]
    from annotations.agreement.unitizing import alpha_u, corpus_study

    corpus = build_corpus(records_from_files([need(AS_PRODIGY)]))
    order = sorted(range(7), key=lambda a: corpus.articles[a].name)
    for a, value in zip(order, values, strict=True):
        study = corpus_study(corpus, np.array([a]))
        assert study is not None
        assert alpha_u(study).alpha == pytest.approx(value, abs=FOUR)


def test_overlap_matching_rules() -> None:
    # Max's long span against two short ones: one match, the larger overlap
    a = [(0, 20, 0)]
    b = [(0, 8, 0), (10, 20, 0)]
    assert match_spans(a, b, same_label=True) == [(0, 1)]
    # exact beats a bigger overlap; labels must agree unless told otherwise
    a = [(0, 10, 0), (0, 10, 1)]
    b = [(0, 10, 1), (0, 12, 0)]
    assert sorted(match_spans(a, b, same_label=True)) == [(0, 1), (1, 0)]
    assert match_spans([(0, 5, 0)], [(0, 5, 1)], same_label=True) == []
    assert match_spans([(0, 5, 0)], [(0, 5, 1)], same_label=False) == [(0, 0)]
    assert match_spans([(0, 5, 0)], [(5, 9, 0)], same_label=False) == []  # touching is not overlap


def _rec(name: str, text: str, spans: list[tuple[int, int, str]], h: int = 1) -> Record:
    return Record(
        text=text,
        input_hash=h,
        spans=[Span(s, e, lab) for s, e, lab in spans],
        annotator=name,
        tokens=whitespace_tokens(text),
    )


def test_disagreement_kinds_and_confusion() -> None:
    text = "Alice Martin travaille chez Meta Platforms à Paris depuis 2024 ."
    #       0     6      13        23   28 32        42 44    50     57
    a = [(0, 12, "PER"), (28, 42, "ORG"), (45, 50, "LOC"), (58, 62, "DATE")]
    b = [(0, 12, "PER"), (28, 32, "ORG"), (45, 50, "ORG")]
    report = agreement_report([_rec("a", text, a), _rec("b", text, b)], "exact")
    kinds = {d["text"]: d["kind"] for d in report.disagreements}
    assert kinds == {"Meta Platforms": "boundary", "Paris": "label", "2024": "missing"}
    missing = next(d for d in report.disagreements if d["kind"] == "missing")
    assert missing["annotations"] == {
        "a": [{"start": 58, "end": 62, "label": "DATE", "text": "2024"}],
        "b": [],
    }
    assert (missing["start"], missing["end"], missing["article"]) == (58, 62, "1")
    assert report.f1_pairs["a|b"] == pytest.approx(2 * 1 / 7)
    labels = report.confusion_labels
    conf = {
        (labels[i], labels[j]): n
        for i, row in enumerate(report.confusion)
        for j, n in enumerate(row)
        if n
    }
    assert conf == {
        ("PER", "PER"): 2,
        ("ORG", "ORG"): 2,
        ("LOC", "ORG"): 1,
        ("ORG", "LOC"): 1,
        ("DATE", "O"): 1,
        ("O", "DATE"): 1,
    }
    overlap = agreement_report([_rec("a", text, a), _rec("b", text, b)], "overlap")
    assert overlap.f1_pairs["a|b"] == pytest.approx(2 * 2 / 7)
    assert {d["text"] for d in overlap.disagreements} == {"Paris", "2024"}


# --- random corpora against a plain implementation of the definitions -----------------------


def _random_corpus(seed: int) -> list[Record]:
    rnd = random.Random(seed)
    names = ["ann", "bob", "cid", "dee"][: rnd.randint(2, 4)]
    labels = ["PER", "ORG", "LOC"]
    out = []
    for h in range(rnd.randint(1, 12)):
        n = rnd.randint(20, 80)
        text = "".join(rnd.choice("ab ") for _ in range(n))
        base = []
        for _ in range(rnd.randint(0, 6)):
            s = rnd.randrange(n - 1)
            base.append((s, rnd.randint(s + 1, min(n, s + 8)), rnd.choice(labels)))
        for name in names:
            if rnd.random() < 0.25:
                continue  # this annotator did not see the article
            spans = []
            for s, e, lab in base:
                x = rnd.random()
                if x < 0.15:
                    continue
                if x < 0.3:
                    lab = rnd.choice(labels)
                elif x < 0.45:
                    e = max(s + 1, min(n, e + rnd.randint(-2, 2)))
                spans.append((s, e, lab))
            if rnd.random() < 0.3:
                s = rnd.randrange(n - 1)
                spans.append((s, rnd.randint(s + 1, n), rnd.choice(labels)))
            out.append(_rec(name, text, spans, h))
    return out


def _greedy(
    a: list[tuple[int, int, str]], b: list[tuple[int, int, str]], same: bool
) -> list[tuple[int, int]]:
    cands = []
    for x, sa in enumerate(a):
        for y, sb in enumerate(b):
            ov = min(sa[1], sb[1]) - max(sa[0], sb[0])
            if ov > 0 and (not same or sa[2] == sb[2]):
                cands.append((sa[2] != sb[2], sa[:2] != sb[:2], -ov, sa[0], sb[0], x, y))
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for *_, x, y in sorted(cands):
        if x not in used_a and y not in used_b:
            used_a.add(x)
            used_b.add(y)
            out.append((x, y))
    return out


def _plain(records: list[Record], match: str) -> dict[str, Any]:
    by_article: dict[int, dict[str, list[tuple[int, int, str]]]] = {}
    for r in records:
        by_article.setdefault(r.input_hash or 0, {})[r.annotator or ""] = sorted(
            {(s.start, s.end, s.label) for s in r.spans or []}
        )
    names = sorted({r.annotator or "" for r in records})
    pairs: dict[str, list[int]] = {}
    per_label: dict[tuple[str, str], list[int]] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    for arts in by_article.values():
        if len(arts) < 2:
            continue
        for x, y in itertools.combinations(names, 2):
            if x not in arts or y not in arts:
                continue
            a, b = arts[x], arts[y]
            if match == "exact":
                hits = [s[2] for s in set(a) & set(b)]
            else:
                hits = [a[i][2] for i, _ in _greedy(a, b, same=True)]
            key = f"{x}|{y}"
            tot = pairs.setdefault(key, [0, 0])
            tot[0] += len(hits)
            tot[1] += len(a) + len(b)
            for lab in {s[2] for s in a + b}:
                t = per_label.setdefault((key, lab), [0, 0])
                t[0] += hits.count(lab)
                t[1] += sum(s[2] == lab for s in a + b)
            aligned = _greedy(a, b, same=False)
            for i, j in aligned:
                confusion[(a[i][2], b[j][2])] += 1
                confusion[(b[j][2], a[i][2])] += 1
            for i in set(range(len(a))) - {i for i, _ in aligned}:
                confusion[(a[i][2], "O")] += 1
                confusion[("O", a[i][2])] += 1
            for j in set(range(len(b))) - {j for _, j in aligned}:
                confusion[(b[j][2], "O")] += 1
                confusion[("O", b[j][2])] += 1
    f1 = {k: (2 * m / t if t else None) for k, (m, t) in pairs.items()}
    return {"f1": f1, "per_label": per_label, "confusion": confusion}


@pytest.mark.parametrize("match", ["exact", "overlap"])
@pytest.mark.parametrize("seed", range(15))
def test_against_plain_implementation(seed: int, match: str) -> None:
    records = _random_corpus(seed)
    try:
        report = agreement_report(records, match)
    except AgreementError:  # one annotator or nothing shared: the plain version has no pair
        assert not _plain(records, match)["f1"]
        return
    plain = _plain(records, match)
    assert report.f1_pairs.keys() == plain["f1"].keys()
    for key, value in plain["f1"].items():
        if value is None:
            assert report.f1_pairs[key] is None
        else:
            assert report.f1_pairs[key] == pytest.approx(value, abs=1e-12)
    corpus = build_corpus(records)
    sa = span_agreement(corpus, match)
    keys = [f"{corpus.annotators[i]}|{corpus.annotators[j]}" for i, j in sa.pairs]
    for (key, lab), (m, t) in plain["per_label"].items():
        p = keys.index(key)
        k = corpus.labels.index(lab)
        assert (sa.pair_matched[p, k], sa.pair_total[p, k]) == (m, t)
    labels = report.confusion_labels
    got = Counter(
        {
            (labels[i], labels[j]): n
            for i, row in enumerate(report.confusion)
            for j, n in enumerate(row)
            if n
        }
    )
    assert got == plain["confusion"]
    # every disagreement shows every annotator of its article, and the counts add up
    assert sum(a.disagreements for a in report.per_article) == len(report.disagreements)
    for d in report.disagreements:
        said = list(d["annotations"].values())
        if match == "exact":
            assert any(s != said[0] for s in said[1:])
        else:
            seqs = [[x["label"] for x in s] for s in said]
            assert any(s != seqs[0] for s in seqs[1:])
