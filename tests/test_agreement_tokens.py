"""Token labels (IO, first covering span wins, whitespace tokens left out) and the token-level
coefficients of the report against scikit-learn, statsmodels and krippendorff on random corpora
(missing annotators included), to 1e-9."""

from __future__ import annotations

import itertools
import random

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotations.agreement import agreement_report, build_corpus
from annotations.agreement.tokens import token_agreement, token_labels
from annotations.records import Record, Span, Token


def tokens_of(text: str) -> list[Token]:
    """Words, and every whitespace run as a token of its own (as spaCy makes "\\n\\n")."""
    import re

    return [
        Token(m.group(), m.start(), m.end(), i) for i, m in enumerate(re.finditer(r"\S+|\s+", text))
    ]


def rec(
    name: str, text: str, spans: list[tuple[int, int, str]], h: int = 1, tokens: bool = True
) -> Record:
    return Record(
        text=text,
        input_hash=h,
        spans=[Span(s, e, lab) for s, e, lab in spans],
        annotator=name,
        tokens=tokens_of(text) if tokens else None,
    )


def test_labels_io_first_span_wins_and_blank_tokens_skipped() -> None:
    text = "Le groupe Meta AI\n\na recruté Alice."
    #       0  3      10   15 17  20 22     29
    a = rec(
        "a", text, [(10, 17, "ORG"), (15, 17, "MISC"), (29, 31, "PER")]
    )  # nested; partial token
    b = rec("b", text, [(10, 14, "ORG")])
    corpus = build_corpus([a, b])
    tl = token_labels(corpus)
    full = tl.expanded()
    # 7 word tokens ("Alice." is one); " " and "\n\n" runs are left out
    assert full.shape == (2, 7)
    names = ["O", *corpus.labels]
    covered = {(names[x], names[y]) for x, y in zip(full[0], full[1], strict=True)}
    # Meta: ORG/ORG; AI: ORG (outer span first, not MISC)/O; Alice.: PER (partial overlap)/O
    assert covered == {("O", "O"), ("ORG", "ORG"), ("ORG", "O"), ("PER", "O")}
    assert int(tl.background.sum()) == 4  # Le, groupe, a, recruté


def test_tokenizer_used_when_records_have_none() -> None:
    text = "Meta recrute Alice"
    calls: list[str] = []

    def tok(t: str) -> list[Token]:
        calls.append(t)
        return tokens_of(t)

    records = [
        rec("a", text, [(0, 4, "ORG")], tokens=False),
        rec("b", text, [(0, 4, "ORG")], tokens=False),
    ]
    report = agreement_report(records, tokenizer=tok)
    assert calls == [text]  # once per article, not per annotator
    assert report.cohen_pairs["a|b"] == pytest.approx(1.0)


def _random_records(seed: int) -> list[Record]:
    rnd = random.Random(seed)
    names = ["a", "b", "c", "d"][: rnd.randint(2, 4)]
    labels = ["PER", "ORG", "LOC"]
    out = []
    for h in range(rnd.randint(2, 10)):
        words = [rnd.choice(["x", "yy", "zzz", "\n"]) for _ in range(rnd.randint(5, 40))]
        text = " ".join(words)
        n = len(text)
        base = []
        for _ in range(rnd.randint(1, 5)):
            s = rnd.randrange(n - 1)
            base.append((s, rnd.randint(s + 1, min(n, s + 10)), rnd.choice(labels)))
        who = [x for x in names if rnd.random() < 0.8]
        if len(who) < 2:
            who = names[:2]
        for name in who:
            spans = [
                (s, e, lab if rnd.random() < 0.8 else rnd.choice(labels))
                for s, e, lab in base
                if rnd.random() < 0.85
            ]
            out.append(rec(name, text, spans, h))
    return out


@pytest.mark.parametrize("seed", range(25))
def test_against_reference_packages(seed: int) -> None:
    records = _random_records(seed)
    corpus = build_corpus(records)
    tl = token_labels(corpus)
    ta = token_agreement(tl)
    full = tl.expanded().astype(np.int64)  # -1 = the annotator did not annotate the article
    n = full.shape[0]
    for i, j in itertools.combinations(range(n), 2):
        both = (full[i] >= 0) & (full[j] >= 0)
        if not both.any():
            assert (i, j) not in ta.cohen
            continue
        x, y = full[i][both], full[j][both]
        if len(set(x.tolist()) | set(y.tolist())) < 2:
            assert ta.cohen[(i, j)] is None
        else:
            assert ta.cohen[(i, j)] == pytest.approx(cohen_kappa_score(x, y), abs=1e-9)
        assert ta.cohen_tokens[(i, j)] == int(both.sum())
    complete = (full >= 0).all(axis=0)
    if complete.any():
        table, _ = aggregate_raters(full[:, complete].T)
        expected = sm_fleiss_kappa(table, method="fleiss")
        if np.isfinite(expected):
            assert ta.fleiss == pytest.approx(expected, abs=1e-9)
        assert ta.fleiss_tokens == int(complete.sum())
    data = np.where(full >= 0, full, np.nan).astype(float)
    if len(np.unique(full[full >= 0])) > 1:
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert ta.alpha == pytest.approx(expected, abs=1e-9)
    assert ta.alpha_tokens == int(((full >= 0).sum(axis=0) >= 2).sum())
