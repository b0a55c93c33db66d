"""Snapping character spans to tokens: each policy on hand-made French cases, every change
reported as an AlignIssue, and properties over generated texts and spans."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.align import POLICIES, AlignIssue, Policy, align
from annotations.records import Span, Token
from annotations.tokenize import french_tokenizer, tokenize


@pytest.fixture(scope="module", autouse=True)
def _load_tokenizer() -> None:
    french_tokenizer()  # ~3 s once per session; later calls are cached


def tok(*pieces: tuple[str, int]) -> list[Token]:
    """Hand-made tokens: (text, start) pairs."""
    return [Token(text, start, start + len(text), i) for i, (text, start) in enumerate(pieces)]


def at(text: str, sub: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(sub, start + 1)
    return start, start + len(sub)


def issues_for(issues: list[AlignIssue], span: Span) -> list[AlignIssue]:
    return [i for i in issues if (i.start, i.end, i.label) == (span.start, span.end, span.label)]


def issues_about(text: str, issues: list[AlignIssue], span: Span) -> list[AlignIssue]:
    """Issues naming the span as given or as trimmed of edge whitespace (see the xfail below)."""
    s, e = trim(text, span)
    return issues_for(issues, span) + issues_for(issues, Span(s, e, span.label))


def check_tokens(text: str, tokens: list[Token]) -> None:
    """Tokens are numbered in order, never overlap, and each one's text is the text at its offsets."""
    prev_end = 0
    for i, t in enumerate(tokens):
        assert t.id == i
        assert prev_end <= t.start < t.end <= len(text)
        assert text[t.start : t.end] == t.text
        prev_end = t.end


# ---------------------------------------------------------------- aligned spans: nothing to do

TEXT = "Meta recrute des chercheurs d’OpenAI pour 14,3 milliards de dollars."


@pytest.mark.parametrize("policy", POLICIES)
def test_aligned_spans_get_token_indices_and_no_issue(policy: str) -> None:
    tokens = tokenize(TEXT)
    s1, e1 = at(TEXT, "Meta")
    s2, e2 = at(TEXT, "OpenAI")
    s3, e3 = at(TEXT, "14,3 milliards de dollars")
    spans = [Span(s1, e1, "ORG"), Span(s2, e2, "ORG"), Span(s3, e3, "MONEY", score=0.5)]
    before = copy.deepcopy((tokens, spans))
    new_tokens, out, issues = align(TEXT, tokens, spans, policy)
    assert issues == []
    assert new_tokens == tokens
    assert (tokens, spans) == before  # inputs are not modified
    assert [(s.start, s.end, s.label) for s in out if s] == [sp.key for sp in spans]
    for span in out:
        assert span is not None and span.token_start is not None and span.token_end is not None
        # token_end is inclusive (Prodigy)
        assert new_tokens[span.token_start].start == span.start
        assert new_tokens[span.token_end].end == span.end
    assert out[2].score == 0.5  # other fields are kept
    assert [t.text for t in new_tokens[out[2].token_start : out[2].token_end + 1]] == [
        "14,3",
        "milliards",
        "de",
        "dollars",
    ]


def test_spacy_splits_french_elision_so_openai_alone_aligns() -> None:
    text = "Il vient d’OpenAI."
    s, e = at(text, "OpenAI")
    tokens, out, issues = align(text, tokenize(text), [Span(s, e, "ORG")], "strict")
    assert issues == []
    assert out[0] is not None
    assert tokens[out[0].token_start].text == "OpenAI"
    assert out[0].token_start == out[0].token_end


# ---------------------------------------------------------------- elision not split by the tokens


ELIDED = "d’OpenAI"
ELIDED_TOKENS = tok((ELIDED, 0))  # a tokenizer that keeps "d’OpenAI" as one token
OPENAI = Span(2, 8, "ORG")  # the span covers only "OpenAI", as the label scheme asks


def test_split_keeps_the_span_and_splits_the_token() -> None:
    tokens, out, issues = align(ELIDED, ELIDED_TOKENS, [OPENAI], "split")
    assert [(t.text, t.start, t.end, t.id) for t in tokens] == [
        ("d’", 0, 2, 0),
        ("OpenAI", 2, 8, 1),
    ]
    assert tokens[0].ws is False
    assert out == [Span(2, 8, "ORG", 1, 1)]
    assert len(issues) == 1
    assert not issues[0].error
    assert (issues[0].start, issues[0].end) == (0, 8)  # the token that was split
    assert "split" in issues[0].message
    assert tok((ELIDED, 0)) == ELIDED_TOKENS  # input untouched


def test_expand_grows_to_the_whole_token_and_says_so() -> None:
    tokens, out, issues = align(ELIDED, ELIDED_TOKENS, [OPENAI], "expand")
    assert tokens == ELIDED_TOKENS
    assert out == [Span(0, 8, "ORG", 0, 0)]
    [issue] = issues
    assert (issue.start, issue.end, issue.label, issue.error) == (2, 8, "ORG", False)
    assert "0-8" in issue.message
    assert str(issue).startswith("span 2-8 ORG: ")


def test_contract_drops_a_span_inside_one_token_and_reports_it() -> None:
    tokens, out, issues = align(ELIDED, ELIDED_TOKENS, [OPENAI], "contract")
    assert tokens == ELIDED_TOKENS
    assert out == [None]
    [issue] = issues
    assert (issue.start, issue.end, issue.label, issue.error) == (2, 8, "ORG", True)
    assert "dropped" in issue.message


def test_strict_leaves_the_span_alone_and_reports_an_error() -> None:
    tokens, out, issues = align(ELIDED, ELIDED_TOKENS, [OPENAI], "strict")
    assert tokens == ELIDED_TOKENS
    assert out == [Span(2, 8, "ORG")]  # offsets as given, no token indices
    [issue] = issues
    assert (issue.start, issue.end, issue.label, issue.error) == (2, 8, "ORG", True)


# ---------------------------------------------------------------- partial tokens


PARTIAL = "Meta recrute chez OpenAI aujourd’hui."


def test_expand_and_contract_a_span_cutting_two_tokens() -> None:
    tokens = tokenize(PARTIAL)
    s = PARTIAL.index("crute")
    e = PARTIAL.index("OpenAI") + 4  # "crute chez Open"
    span = Span(s, e, "MISC")
    _, [grown], issues = align(PARTIAL, tokens, [span], Policy.EXPAND)
    assert grown is not None
    assert PARTIAL[grown.start : grown.end] == "recrute chez OpenAI"
    assert [t.text for t in tokens[grown.token_start : grown.token_end + 1]] == [
        "recrute",
        "chez",
        "OpenAI",
    ]
    assert len(issues_for(issues, span)) == 1

    _, [shrunk], issues = align(PARTIAL, tokens, [span], Policy.CONTRACT)
    assert shrunk is not None
    assert PARTIAL[shrunk.start : shrunk.end] == "chez"
    assert shrunk.token_start == shrunk.token_end == 2
    [issue] = issues_for(issues, span)
    assert not issue.error and f"{shrunk.start}-{shrunk.end}" in issue.message


def test_split_a_span_cutting_two_tokens_keeps_exact_offsets() -> None:
    tokens = tokenize(PARTIAL)
    s = PARTIAL.index("crute")
    e = PARTIAL.index("OpenAI") + 4
    new_tokens, [span], issues = align(PARTIAL, tokens, [Span(s, e, "MISC")], "split")
    assert span is not None and (span.start, span.end) == (s, e)
    assert new_tokens[span.token_start].text == "crute"
    assert new_tokens[span.token_end].text == "Open"
    assert [t.text for t in new_tokens[:6]] == ["Meta", "re", "crute", "chez", "Open", "AI"]
    assert len(new_tokens) == len(tokens) + 2
    check_tokens(PARTIAL, new_tokens)
    split_notes = sorted(i.message for i in issues)
    assert len(split_notes) == 2 and all("split" in m for m in split_notes)
    # whitespace is kept on the second half only
    assert new_tokens[1].ws is False and new_tokens[2].ws is True


# ---------------------------------------------------------------- whitespace


@pytest.mark.parametrize("policy", ["split", "expand", "contract"])
def test_whitespace_at_the_edges_is_trimmed_and_reported(policy: str) -> None:
    text = "Meta recrute  Alexandr Wang \n et Nat Friedman."
    s, e = at(text, " Alexandr Wang \n ")
    span = Span(s, e, "PER")
    _, [out], issues = align(text, tokenize(text), [span], policy)
    assert out is not None
    assert text[out.start : out.end] == "Alexandr Wang"
    [issue] = issues_for(issues, span)
    assert not issue.error
    assert f"{out.start}-{out.end}" in issue.message


def test_strict_reports_whitespace_at_the_edges_as_an_error() -> None:
    text = "Meta recrute Alexandr Wang ."
    s, e = at(text, " Alexandr Wang ")
    span = Span(s, e, "PER")
    _, [out], issues = align(text, tokenize(text), [span], "strict")
    assert out is not None and (out.start, out.end) == (s, e)
    assert issues_for(issues, span) and all(i.error for i in issues_for(issues, span))


@pytest.mark.parametrize("policy", POLICIES)
def test_whitespace_only_span_is_dropped_and_reported(policy: str) -> None:
    text = "Meta  \n\t  OpenAI"
    s, e = at(text, "  \n\t  ")
    keep = Span(0, 4, "ORG")
    blank = Span(s, e, "ORG")
    _, out, issues = align(text, tokenize(text), [blank, keep], policy)
    assert out[0] is None
    assert out[1] is not None and out[1].key == keep.key
    [issue] = issues
    assert (issue.start, issue.end, issue.error) == (s, e, True)
    assert "whitespace" in issue.message


def test_policy_names_and_unknown_policy() -> None:
    assert tuple(p.value for p in Policy) == POLICIES
    with pytest.raises(ValueError):
        align("a", tok(("a", 0)), [], "nearest")


def test_split_with_two_spans_sharing_a_token() -> None:
    text = "MetaOpenAI"
    tokens = tok((text, 0))
    spans = [Span(0, 4, "ORG"), Span(4, 10, "ORG")]
    new_tokens, out, issues = align(text, tokens, spans, "split")
    assert [t.text for t in new_tokens] == ["Meta", "OpenAI"]
    assert out == [Span(0, 4, "ORG", 0, 0), Span(4, 10, "ORG", 1, 1)]
    assert len(issues) == 1  # one token, split once at 4


@pytest.mark.parametrize("policy", ["contract", "expand"])
def test_issues_name_the_span_as_given_even_after_trimming(policy: str) -> None:
    text = "aujourd’hui "
    span = Span(2, len(text), "DATE")  # "jourd’hui " : inside one token, with a trailing space
    _, [out], issues = align(text, tokenize(text), [span], policy)
    assert (out is None) == (policy == "contract")
    # two changes happened (trim, then drop or expand): both must name the input span 2-12
    assert len(issues) == 2
    assert issues_for(issues, span) == issues


def test_expand_never_moves_a_span_onto_a_token_it_does_not_touch() -> None:
    # tokens from a file (Prodigy JSONL, export of existing records) need not cover every word
    text = "ab cd ef"
    tokens = tok(("ab", 0), ("ef", 6))
    span = Span(3, 5, "X")  # "cd": no token there
    _, [out], issues = align(text, tokens, [span], "expand")
    assert out is None or (out.start <= 3 and out.end >= 5)
    assert any(i.error for i in issues_for(issues, span))


def test_expand_a_span_after_the_last_token_is_reported_not_a_crash() -> None:
    text = "ab cd"
    span = Span(3, 5, "X")
    _, [out], issues = align(text, tok(("ab", 0)), [span], "expand")
    assert out is None
    assert any(i.error for i in issues_for(issues, span))


# ---------------------------------------------------------------- properties

ALPHABET = st.sampled_from([*"abcdeMOAIéèçÉ’'-.,;:!?«»()0123456789€%$ \n\t\u00a0", "  "])


@st.composite
def text_and_spans(draw: st.DrawFn) -> tuple[str, list[Span]]:
    text = "".join(draw(st.lists(ALPHABET, min_size=1, max_size=40)))
    n = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 5))):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(a + 1, n))
        spans.append(Span(a, b, draw(st.sampled_from(["PER", "ORG", "MONEY"]))))
    return text, spans


def trim(text: str, span: Span) -> tuple[int, int]:
    s, e = span.start, span.end
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(text_and_spans())
def test_split_keeps_exact_offsets_and_consistent_token_indices(
    case: tuple[str, list[Span]],
) -> None:
    text, spans = case
    tokens = tokenize(text)
    new_tokens, out, issues = align(text, tokens, spans, "split")
    check_tokens(text, new_tokens)
    # the tokens still cover the same characters: splitting only adds boundaries
    assert "".join(t.text for t in new_tokens) == "".join(t.text for t in tokens)
    assert {t.start for t in tokens} <= {t.start for t in new_tokens}
    assert len(out) == len(spans)
    for span, got in zip(spans, out, strict=True):
        s, e = trim(text, span)
        if s == e:
            assert got is None
            assert any(i.error for i in issues_for(issues, span))
            continue
        assert got is not None
        assert (got.start, got.end, got.label) == (s, e, span.label)
        assert got.token_start is not None and got.token_end is not None
        assert new_tokens[got.token_start].start == got.start
        assert new_tokens[got.token_end].end == got.end
        if (s, e) != (span.start, span.end):
            assert issues_for(issues, span)
    # every split token is reported
    n_split = len(new_tokens) - len(tokens)
    assert (n_split == 0) == (not [i for i in issues if "split" in i.message])


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(text_and_spans(), st.sampled_from(POLICIES))
def test_every_change_is_reported(case: tuple[str, list[Span]], policy: str) -> None:
    text, spans = case
    tokens = tokenize(text)
    new_tokens, out, issues = align(text, tokens, spans, policy)
    if policy != "split":
        assert new_tokens == tokens
    for span, got in zip(spans, out, strict=True):
        about = issues_about(text, issues, span)
        if got is None or (got.start, got.end) != (span.start, span.end):
            assert issues_for(issues, span), (policy, span, got, issues)
        if got is None:
            assert any(i.error for i in about)
            continue
        assert got.label == span.label
        if got.token_start is None:
            # with spaCy's tokens only strict may leave a span unaligned, with an error
            assert policy == "strict"
            assert any(i.error for i in about)
        else:
            assert new_tokens[got.token_start].start == got.start
            assert new_tokens[got.token_end].end == got.end
        if policy == "expand":
            s, e = trim(text, span)
            assert got.start <= s and got.end >= e
        if policy == "contract":
            s, e = trim(text, span)
            assert s <= got.start < got.end <= e
        if policy == "strict":
            assert (got.start, got.end) == (span.start, span.end)
