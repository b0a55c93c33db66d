"""Suggesters one by one (no model here): normalisation, trimming, rules, patterns, memory, chain."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.errors import InputError
from annotations.labels import load_scheme
from annotations.records import Record, Span
from annotations.suggest.chain import Chain
from annotations.suggest.memory import Memory
from annotations.suggest.model import _lines, install_hint, trim
from annotations.suggest.normalize import _TABLE, normalize
from annotations.suggest.patterns import PatternSuggester, load_patterns
from annotations.suggest.rules import french_rules


@given(st.text())
def test_normalize_keeps_every_offset(text: str) -> None:
    out = normalize(text)
    assert len(out) == len(text)
    for a, b in zip(text, out, strict=True):
        assert b == _TABLE.get(a, a)


def test_normalize_french_typography() -> None:
    assert normalize("l’IA «beaucoup» d’OpenAI – 49\u202f%") == "l'IA \"beaucoup\" d'OpenAI - 49 %"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("d'OpenAI", "OpenAI"),
        ("qu'OpenAI", "OpenAI"),
        ("jusqu'Apple", "Apple"),
        ("la Chine", "Chine"),
        ("pays des Vingt-Sept", "Vingt-Sept"),
        ("Échec de Llama 4 -", "Échec de Llama 4"),
        ('"Uncapped"', "Uncapped"),
        ("iPhone", "iPhone"),
    ],
)
def test_trim_span_edges(text: str, expected: str) -> None:
    start, end = trim(text, 0, len(text))
    assert text[start:end] == expected


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        # an elided article is stripped wherever the span starts, not only at the text's start
        ("durant laquelle l'Europe a dépendu", "l'Europe", "Europe"),
        ("le PDG d'Arianespace, M. X", "d'Arianespace", "Arianespace"),
        # nor does a span end with one
        (
            "le Festival du film d'animation d'Annecy",
            "Festival du film d'animation d'",
            "Festival du film d'animation",
        ),
    ],
)
def test_trim_inside_a_text(text: str, span: str, expected: str) -> None:
    at = text.index(span)
    start, end = trim(text, at, at + len(span))
    assert text[start:end] == expected


def test_pieces_never_cross_line_breaks_or_spaced_dashes() -> None:
    text = "Titre\nMachine publicitaire - Malgré tout, OpenAI / Unsplash\n\n  \nFin"
    pieces = list(_lines(text))
    assert [p for _, p in pieces] == [
        "Titre",
        "Machine publicitaire",
        "Malgré tout, OpenAI",
        "Unsplash",
        "Fin",
    ]
    assert all(text[o : o + len(p)] == p for o, p in pieces)
    assert list(_lines("Saint-Denis et Aix-en-Provence")) == [(0, "Saint-Denis et Aix-en-Provence")]


def test_install_hint() -> None:
    assert install_hint("fr_core_news_lg") == "install it with: pip install fr-core-news-lg"
    assert "path" in install_hint("my/model")


def found(suggester, text: str) -> list[tuple[str, str]]:
    (spans,) = suggester.suggest([Record(text=text)])
    return [(text[s.start : s.end], s.label) for s in spans]


@pytest.fixture(scope="module")
def rules() -> PatternSuggester:
    return french_rules()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Un rachat de 14,3 milliards de dollars.", [("14,3 milliards de dollars", "MONEY")]),
        ("soit environ 780 millions de HK$ en tout", [("780 millions de HK$", "MONEY")]),
        ("plus de 100 millions d’euros", [("100 millions d’euros", "MONEY")]),
        (
            "une capitalisation de 2 000 milliards de dollars",
            [("2 000 milliards de dollars", "MONEY")],
        ),
        ("un chèque de $100 millions", [("$100 millions", "MONEY")]),
        ("acquérir 49 % de Scale AI", [("49 %", "PERCENT"), ("Scale AI", "ORG")]),
        ("acquérir 49% du capital", [("49%", "PERCENT")]),
        ("assurait-il mi-juin.", [("mi-juin", "DATE")]),
        ("dévoilée début avril, puis", [("début avril", "DATE")]),
        ("des profits records en 2024.", [("2024", "DATE")]),
        ("Lundi, dans une note", [("Lundi", "DATE")]),
        ("le 12 juillet 2025 à Paris", [("12 juillet 2025", "DATE")]),
        ("La semaine dernière, les autorités", []),
        ("des dizaines de milliards de dollars", []),
        ("plusieurs millions de dollars", []),
    ],
)
def test_french_rules(rules: PatternSuggester, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(rules, text) == expected


def test_rules_spans_carry_their_source(rules: PatternSuggester) -> None:
    (spans,) = rules.suggest([Record(text="49 % en 2024")])
    assert {s.source for s in spans} == {"rules:money-percent-date-fr"}


def write_lines(path: Path, *lines: bytes) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_patterns_file_phrases_and_tokens(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "p.jsonl",
        orjson.dumps({"label": "ORG", "pattern": "Kyutai"}),
        orjson.dumps(
            {"label": "MISC", "pattern": [{"LOWER": "le"}, {"LOWER": "chat"}], "id": "lechat"}
        ),
    )
    suggester = PatternSuggester.from_file(path)
    assert suggester.name == "patterns:p.jsonl"
    assert found(suggester, "Kyutai et Mistral lancent Le Chat") == [
        ("Kyutai", "ORG"),
        ("Le Chat", "MISC"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"{oops", "invalid JSON"),
        (b"[1]", "expected an object"),
        (orjson.dumps({"pattern": "x"}), "'label' must be a non-empty string"),
        (orjson.dumps({"label": "ORG", "pattern": 3}), "'pattern' must be a string or"),
        (orjson.dumps({"label": "ORG", "pattern": "  "}), "empty string"),
        (orjson.dumps({"label": "ORG", "pattern": [{"LOWR": "x"}]}), "invalid token pattern"),
    ],
)
def test_patterns_file_errors_name_file_and_line(tmp_path: Path, line: bytes, message: str) -> None:
    path = write_lines(
        tmp_path / "p.jsonl", orjson.dumps({"label": "ORG", "pattern": "Meta"}), line
    )
    with pytest.raises(InputError, match=message) as err:
        load_patterns(path)
    assert str(err.value).startswith(f"{path}:2: ")


class Fixed:
    """A suggester that returns given spans (to test the chain alone)."""

    def __init__(self, name: str, spans: list[Span]) -> None:
        self.name = name
        self.spans = spans

    def suggest(self, records):
        return [
            [Span(s.start, s.end, s.label, source=self.name) for s in self.spans] for _ in records
        ]


TEXT = "Jack Altman anime le podcast Uncapped chez Scale AI depuis 2024."


def at(surface: str, label: str) -> Span:
    start = TEXT.index(surface)
    return Span(start, start + len(surface), label)


def keys(spans: list[Span]) -> list[tuple[str, str, str]]:
    return [(TEXT[s.start : s.end], s.label, (s.source or "").split(":")[0]) for s in spans]


def test_chain_priority_memory_patterns_rules_model() -> None:
    chain = Chain(
        [
            Fixed("model:m", [at("Scale AI", "MISC"), at("Uncapped", "LOC"), at("2024", "MISC")]),
            Fixed("rules:r", [at("2024", "DATE")]),
            Fixed("patterns:p", [at("Scale AI", "ORG")]),
            Fixed("memory", [at("Uncapped", "MISC")]),
        ],
        load_scheme(),
    )
    (spans,) = chain.suggest([Record(text=TEXT)])
    assert keys(spans) == [
        ("Uncapped", "MISC", "memory"),
        ("Scale AI", "ORG", "patterns"),
        ("2024", "DATE", "rules"),
    ]


def test_chain_same_label_containment_and_label_map() -> None:
    chain = Chain(
        [
            Fixed("model:m", [at("Jack Altman", "PERSON"), at("Uncapped", "NORP")]),
            Fixed("memory", [at("Altman", "PER")]),
        ],
        load_scheme(),
    )
    (spans,) = chain.suggest([Record(text=TEXT)])
    assert keys(spans) == [("Jack Altman", "PER", "model")]  # PERSON → PER; NORP dropped


def test_chain_snaps_to_tokens_and_fills_records() -> None:
    record = Record(text=TEXT)
    chain = Chain(
        [Fixed("model:m", [Span(TEXT.index("Scale"), TEXT.index("Scale") + 7, "ORG")])],
        load_scheme(),
    )
    chain.apply([record])
    (span,) = record.suggestions or []
    assert TEXT[span.start : span.end] == "Scale AI"
    assert record.tokens is not None and record.tokens[span.token_end].end == span.end  # type: ignore[index]
    assert record.spans == record.suggestions and record.spans is not record.suggestions
    assert record.task_hash is not None


def reviewed(
    text: str, spans: list[tuple[str, str]], suggestions: list[tuple[str, str]] = ()
) -> Record:
    def mk(surface: str, label: str) -> Span:
        start = text.index(surface)
        return Span(start, start + len(surface), label)

    return Record(
        text=text,
        spans=[mk(*s) for s in spans],
        suggestions=[mk(*s) for s in suggestions],
        answer="accept",
    )


def test_memory_majority_label_and_matching_on_token_boundaries() -> None:
    memory = Memory().learn_all(
        [
            reviewed("Uncapped est un podcast.", [("Uncapped", "MISC")]),
            reviewed("Le podcast Uncapped.", [("Uncapped", "MISC")]),
            reviewed("Uncapped, la société.", [("Uncapped", "ORG")]),
        ]
    )
    assert found(memory, "Sur Uncapped et UncappedX, d’Uncapped") == [
        ("Uncapped", "MISC"),
        ("Uncapped", "MISC"),
    ]
    (spans,) = memory.suggest([Record(text="Uncapped")])
    assert spans[0].score == pytest.approx(2 / 3, abs=1e-3) and spans[0].source == "memory"


def test_memory_ties_go_to_the_label_seen_first() -> None:
    memory = Memory().learn_all(
        [
            reviewed("Runway lève.", [("Runway", "ORG")]),
            reviewed("Runway sort.", [("Runway", "MISC")]),
        ]
    )
    assert found(memory, "Runway") == [("Runway", "ORG")]


def test_memory_explicit_and_implicit_rejections() -> None:
    memory = Memory().learn_all(
        [
            reviewed(
                "L’AGI arrive, dit Altman.", [("Altman", "PER")], suggestions=[("AGI", "MISC")]
            ),
            reviewed("Vers l’AGI.", []),
            reviewed("Le rapport sur l’AGI de Meta.", [("Meta", "ORG")]),
        ]
    )
    assert memory.unlabelled_mentions("AGI") == 3  # the removed suggestion is one of them
    assert memory.rejects("AGI") and not memory.rejects("Meta")
    assert found(memory, "AGI et Meta") == [("Meta", "ORG")]
    chain = Chain([memory, Fixed("model:m", [Span(0, 3, "MISC")])], load_scheme())
    (spans,) = chain.suggest([Record(text="AGI et Meta")])
    assert [(s.start, s.end) for s in spans] == [(7, 11)]  # the model's AGI is dropped


def test_memory_removed_suggestion_overlapping_a_kept_span() -> None:
    memory = Memory().learn_all(
        [reviewed("Jack Altman parle.", [("Jack Altman", "PER")], suggestions=[("Jack", "PER")])]
    )
    assert memory.entries["Jack"].rejected == 1 and memory.rejects("Jack")
    assert found(memory, "Jack et Jack Altman") == [("Jack Altman", "PER")]


def test_memory_ignores_records_not_accepted_and_learns_as_it_goes() -> None:
    memory = Memory()
    skipped = reviewed("Mistral AI lève.", [("Mistral AI", "ORG")])
    skipped.answer = "ignore"
    memory.learn(skipped)
    assert found(memory, "Mistral AI") == []
    memory.learn(reviewed("Mistral AI lève.", [("Mistral AI", "ORG")]))
    assert found(memory, "Avec Mistral AI.") == [("Mistral AI", "ORG")]
