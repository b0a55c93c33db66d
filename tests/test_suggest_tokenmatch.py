"""The plain-Python pattern matcher (`tokenmatch`) finds exactly what spaCy's EntityRuler finds:
on real French text, on generated text around the rules' words, and for each operator. The
phrase cache is what the tokenizer says."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.demo import demo_path
from annotations.formats import read
from annotations.records import Record
from annotations.suggest.normalize import normalize
from annotations.suggest.patterns import PHRASE_CACHE, PatternSuggester, bundled_phrases
from annotations.suggest.rules import bundled
from annotations.suggest.tokenmatch import TokenMatcher, Unsupported, like_num_fr
from annotations.tokenize import tokenize
from tests.conftest import REFERENCE, SEEDS


@cache
def suggesters() -> tuple[PatternSuggester, ...]:
    """The bundled suggesters, built once: each builds its EntityRuler on first use."""
    return tuple(bundled())


def both(suggester: PatternSuggester, texts: list[str]) -> tuple[list[set], list[set]]:
    records = [Record(text=t, tokens=tokenize(t)) for t in texts]
    fast = suggester.suggest(records)
    slow = suggester._suggest_with_spacy(records)
    key = lambda spans: {(s.start, s.end, s.label, s.source) for s in spans}  # noqa: E731
    return [key(x) for x in fast], [key(x) for x in slow]


def test_the_phrase_cache_is_what_the_tokenizer_says() -> None:
    import orjson

    assert orjson.loads(PHRASE_CACHE.read_bytes()) == bundled_phrases(), (
        "regenerate it: python -m annotations.suggest.patterns"
    )


def test_bundled_rules_need_no_spacy() -> None:
    assert all(suggester._fast is not None for suggester in bundled())


def test_same_spans_as_the_entity_ruler_on_real_text() -> None:
    texts = [item.record.text for item in read(demo_path())]
    texts += [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    bio = REFERENCE / "french_ner" / "enp_FR.bnf.bio"
    if bio.exists():  # 1906 newspapers: OCR noise, old spellings, dates and money of the time
        words = [line.split(" ")[0] for line in bio.read_text("utf-8").splitlines()[:20_000]]
        texts += [" ".join(words[i : i + 400]) for i in range(0, len(words), 400)]
    # The EntityRuler runs on the tokens of the normalised text, the plain matcher on the
    # record's own tokens (those the spans snap to). They differ only where normalising moves a
    # token boundary (`7788–3` is one token, `7788-3` three): there the texts are left out.
    same = [t for t in texts if _boundaries(normalize(t)) == _boundaries(t)]
    assert len(same) > 0.9 * len(texts)
    for suggester in suggesters():
        fast, slow = both(suggester, same)
        assert sum(map(len, slow)) > 100  # the comparison means something
        assert fast == slow


def test_no_break_spaces_are_whitespace_as_for_spacy() -> None:
    """French typography: `5\u00a0%`, `12\u202f000 euros`, `3\u00a0mars\u00a02021`."""
    texts = [
        "Une hausse de 5\u00a0% cette année.",
        "Il a levé 100\u00a0millions de dollars et 12\u202f000 euros le 3\u00a0mars\u00a02021.",
    ]
    fast, slow = both(suggesters()[1], texts)
    got = [sorted(texts[i][a:b] for a, b, _label, _source in spans) for i, spans in enumerate(fast)]
    assert got == [
        ["5\u00a0%"],
        ["100\u00a0millions de dollars", "12\u202f000 euros", "3\u00a0mars\u00a02021"],
    ]
    assert fast == slow


def _boundaries(text: str) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in tokenize(text)]


WORDS = [
    "100", "3", "12,5", "1er", "deux", "mille", "millions", "milliards", "de", "d'", "d’", "dollars",
    "euros", "$", "€", "M€", "%", "pour", "cent", "mars", "juin", "2024", "début", "mi-juin",
    "lundi", "Meta", "OpenAI", "Scale", "AI", "Google", "environ", "plus", ",", ".", "\n", "la",
]  # fmt: skip


@settings(max_examples=30)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
def test_same_spans_as_the_entity_ruler_on_generated_text(words: list[str]) -> None:
    for suggester in suggesters():
        fast, slow = both(suggester, [" ".join(words)])
        assert fast == slow


OPERATORS = [
    [{"LOWER": "a"}, {"LOWER": "b", "OP": "?"}, {"LOWER": "c"}],
    [{"LOWER": "a"}, {"LOWER": "b", "OP": "*"}],
    [{"LOWER": "a", "OP": "+"}, {"LOWER": "c"}],
    [{"LOWER": "a"}, {"LOWER": "b", "OP": "!"}, {"LOWER": "c"}],
    [{"LOWER": "b"}, {"LOWER": "a", "OP": "{2}"}],
    [{"LOWER": "c"}, {"LOWER": {"IN": ["a", "b"]}, "OP": "{1,3}"}],
    [{"LENGTH": {">=": 2}}, {"IS_DIGIT": True}],
    [{"TEXT": {"REGEX": "^[A-Z]"}}, {"LOWER": {"NOT_IN": ["a"]}}],
]


@pytest.mark.parametrize("pattern", OPERATORS)
@settings(max_examples=12)
@given(words=st.lists(st.sampled_from(["a", "b", "c", "A", "Bc", "12", "7", "aa"]), max_size=12))
def test_each_operator_as_spacy_has_it(pattern: list[dict], words: list[str]) -> None:
    suggester = PatternSuggester([("patterns:t", [{"label": "X", "pattern": pattern}])])
    assert suggester._fast is not None
    fast, slow = both(suggester, [" ".join(words)])
    assert fast == slow


def test_what_it_cannot_match_goes_to_spacy(tmp_path: Path) -> None:
    with pytest.raises(Unsupported):
        TokenMatcher([("X", None, [{"POS": "PROPN"}])])
    suggester = PatternSuggester([("patterns:t", [{"label": "X", "pattern": [{"NORM": "a"}]}])])
    assert suggester._fast is None
    assert suggester.suggest([Record(text="a b")])[0][0].label == "X"


def test_like_num_is_the_french_one() -> None:
    assert [like_num_fr(w) for w in ("12,5", "deux", "dix-sept", "troisième", "1/2", "Paris")] == [
        True, True, True, True, True, False
    ]  # fmt: skip
