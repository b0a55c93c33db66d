"""spaCy's token patterns matched in plain Python over a record's own tokens.

The review screen must suggest with the rules and patterns within a second of starting, and
importing spaCy's French language data alone takes seconds (its tokenizer exceptions compile
large regular expressions at import). Records carry their tokens, and rules and patterns only
look at token texts, so they are matched here without spaCy: the same patterns (the EntityRuler
JSONL format), the same semantics as spaCy's `Matcher` (every match of every pattern, operators
`?` `*` `+` `!` and `{n,m}`) followed by the EntityRuler's choice (longest first, then earliest,
no overlap), and French lexical attributes as spaCy's French language defines them. A test holds
this to spaCy's EntityRuler on real text.

Patterns using anything else (POS, ENT_TYPE, NORM, fuzzy matching...) raise `Unsupported`; the
caller then uses spaCy itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


class Unsupported(Exception):
    """A pattern this module cannot match exactly as spaCy does."""


# French numbers as spaCy's French language defines LIKE_NUM (spacy/lang/fr/lex_attrs.py)
_NUM_WORDS = set(
    [
        "zero",
        "un",
        "une",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
        "treize",
        "quatorze",
        "quinze",
        "seize",
        "dix-sept",
        "dix-huit",
        "dix-neuf",
        "vingt",
        "trente",
        "quarante",
        "cinquante",
        "soixante",
        "soixante-dix",
        "septante",
        "quatre-vingt",
        "huitante",
        "quatre-vingt-dix",
        "nonante",
        "cent",
        "mille",
        "mil",
        "million",
        "milliard",
        "billion",
        "quadrillion",
        "quintillion",
        "sextillion",
        "septillion",
        "octillion",
        "nonillion",
        "decillion",
    ]
)
_ORDINAL_WORDS = set(
    [
        "premier",
        "première",
        "deuxième",
        "second",
        "seconde",
        "troisième",
        "quatrième",
        "cinquième",
        "sixième",
        "septième",
        "huitième",
        "neuvième",
        "dixième",
        "onzième",
        "douzième",
        "treizième",
        "quatorzième",
        "quinzième",
        "seizième",
        "dix-septième",
        "dix-huitième",
        "dix-neuvième",
        "vingtième",
        "trentième",
        "quarantième",
        "cinquantième",
        "soixantième",
        "soixante-dixième",
        "septantième",
        "quatre-vingtième",
        "huitantième",
        "quatre-vingt-dixième",
        "nonantième",
        "centième",
        "millième",
        "millionnième",
        "milliardième",
        "billionnième",
        "quadrillionnième",
        "quintillionnième",
        "sextillionnième",
        "septillionnième",
        "octillionnième",
        "nonillionnième",
        "decillionnième",
    ]
)


def like_num_fr(text: str) -> bool:
    if text.startswith(("+", "-", "±", "~")):
        text = text[1:]
    text = text.replace(",", "").replace(".", "")
    if text.isdigit():
        return True
    if text.count("/") == 1:
        num, denom = text.split("/")
        if num.isdigit() and denom.isdigit():
            return True
    return text.lower() in _NUM_WORDS or text.lower() in _ORDINAL_WORDS


def _is_punct(text: str) -> bool:
    return all(unicodedata.category(ch).startswith("P") for ch in text)


ATTRIBUTES: dict[str, Callable[[str], Any]] = {
    "ORTH": lambda t: t,
    "TEXT": lambda t: t,
    "LOWER": str.lower,
    "LENGTH": len,
    "IS_ALPHA": str.isalpha,
    "IS_ASCII": str.isascii,
    "IS_DIGIT": str.isdigit,
    "IS_LOWER": str.islower,
    "IS_UPPER": str.isupper,
    "IS_TITLE": str.istitle,
    "IS_PUNCT": _is_punct,
    "IS_SPACE": str.isspace,
    "LIKE_NUM": like_num_fr,
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
_QUANTIFIER = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _test(attr: str, spec: Any) -> Callable[[str], bool]:
    get = ATTRIBUTES.get(attr)
    if get is None:
        raise Unsupported(f"attribute {attr}")
    if not isinstance(spec, dict):
        return lambda t: bool(get(t) == spec)
    tests: list[Callable[[str], bool]] = []
    for op, value in spec.items():
        if op == "IN":
            values = frozenset(value)
            tests.append(lambda t, v=values: get(t) in v)  # type: ignore[misc]
        elif op == "NOT_IN":
            values = frozenset(value)
            tests.append(lambda t, v=values: get(t) not in v)  # type: ignore[misc]
        elif op == "REGEX":
            rx = re.compile(value)
            tests.append(lambda t, r=rx: bool(r.search(str(get(t)))))  # type: ignore[misc]
        elif op in _COMPARE:
            cmp = _COMPARE[op]
            tests.append(lambda t, c=cmp, v=value: c(get(t), v))  # type: ignore[misc]
        else:
            raise Unsupported(f"predicate {op}")
    return lambda t: all(test(t) for test in tests)


@dataclass(frozen=True, slots=True)
class Step:
    key: str  # the token spec, as JSON: identical specs share their cached results
    test: Callable[[str], bool]
    low: int
    high: int | None  # None: no bound
    negated: bool = False  # `!`: exactly one token that does not match


def compile_pattern(pattern: Sequence[dict[str, Any]]) -> tuple[Step, ...]:
    steps = []
    for spec in pattern:
        spec = dict(spec)
        op = spec.pop("OP", None)
        tests = [_test(attr, value) for attr, value in spec.items()]
        test: Callable[[str], bool] = (
            (lambda t, ts=tests: all(x(t) for x in ts)) if tests else (lambda t: True)  # type: ignore[misc]
        )
        key = repr(sorted(spec.items(), key=lambda kv: kv[0]))
        if op is None:
            steps.append(Step(key, test, 1, 1))
        elif op == "!":
            steps.append(Step(key, test, 1, 1, negated=True))
        elif op == "?":
            steps.append(Step(key, test, 0, 1))
        elif op == "*":
            steps.append(Step(key, test, 0, None))
        elif op == "+":
            steps.append(Step(key, test, 1, None))
        elif isinstance(op, str) and (m := _QUANTIFIER.fullmatch(op)):
            low = int(m.group(1) or 0)
            high = int(m.group(3)) if m.group(3) else (None if m.group(2) else low)
            steps.append(Step(key, test, low, high))
        else:
            raise Unsupported(f"operator {op!r}")
    if not steps:
        raise Unsupported("an empty pattern")
    return tuple(steps)


@dataclass(frozen=True, slots=True)
class Compiled:
    label: str
    id: str | None
    steps: tuple[Step, ...]
    first: frozenset[str] | None  # the exact texts a match can start with, when known


def _first_texts(
    steps: tuple[Step, ...],
    spec: Sequence[dict[str, Any]],
    attrs: tuple[str, ...] = ("ORTH", "TEXT"),
) -> frozenset[str] | None:
    """For a pattern whose first token is an exact ORTH/TEXT (or a set of them), those texts:
    matches are then looked for only where such a token is. With `attrs=("LOWER",)`, the
    lowercase texts of a first token given by LOWER."""
    if steps[0].low < 1 or steps[0].negated:
        return None
    first = {k: v for k, v in spec[0].items() if k != "OP"}
    for attr in attrs:
        value = first.get(attr)
        if isinstance(value, str):
            return frozenset([value])
        if isinstance(value, dict) and set(value) == {"IN"}:
            return frozenset(value["IN"])
    return None


class TokenMatcher:
    """Every pattern's matches over a list of token texts, chosen as the EntityRuler does.

    A pattern is tried only where its first token can be: patterns starting with exact texts
    (ORTH, TEXT) or lowercase texts (LOWER) are indexed by them; the others are grouped by
    their first token's test, run once per token for the whole group."""

    def __init__(self, patterns: Sequence[tuple[str, str | None, Sequence[dict[str, Any]]]]):
        self.patterns: list[Compiled] = []
        lowers: list[frozenset[str] | None] = []
        for label, pattern_id, spec in patterns:
            steps = compile_pattern(spec)
            self.patterns.append(Compiled(label, pattern_id, steps, _first_texts(steps, spec)))
            lowers.append(_first_texts(steps, spec, ("LOWER",)))
        self._by_first: dict[str, list[int]] = {}
        self._by_lower: dict[str, list[int]] = {}
        self._anywhere: list[int] = []  # patterns whose first token may be absent or negated
        self._by_test: dict[str, tuple[Step, list[int]]] = {}  # first step's key -> patterns
        for k, p in enumerate(self.patterns):
            if p.first is not None:
                for text in p.first:
                    self._by_first.setdefault(text, []).append(k)
            elif (lowered := lowers[k]) is not None:
                for text in lowered:
                    self._by_lower.setdefault(text, []).append(k)
            elif p.steps[0].low >= 1 and not p.steps[0].negated:
                self._by_test.setdefault(p.steps[0].key, (p.steps[0], []))[1].append(k)
            else:
                self._anywhere.append(k)

    def __call__(self, words: Sequence[str]) -> list[tuple[int, int, str, str | None]]:
        """(first token, end token exclusive, label, pattern id), sorted by position."""
        cache: dict[tuple[str, int], bool] = {}
        n = len(words)

        def ok(step: Step, i: int) -> bool:
            key = (step.key, i)
            hit = cache.get(key)
            if hit is None:
                hit = cache[key] = step.test(words[i])
            return hit != step.negated

        def ends(steps: tuple[Step, ...], s: int, i: int, out: set[int]) -> None:
            if s == len(steps):
                out.add(i)
                return
            step = steps[s]
            j, count = i, 0
            while True:
                if count >= step.low:
                    ends(steps, s + 1, j, out)
                if (step.high is not None and count >= step.high) or j >= n or not ok(step, j):
                    return
                j, count = j + 1, count + 1

        found: list[tuple[int, int, int]] = []  # (start, end, pattern)
        for i in range(n):
            candidates = [
                *self._by_first.get(words[i], ()),
                *self._by_lower.get(words[i].lower(), ()),
                *self._anywhere,
            ]
            for step, ks in self._by_test.values():
                if ok(step, i):
                    candidates += ks
            for k in candidates:
                out: set[int] = set()
                ends(self.patterns[k].steps, 0, i, out)
                found.extend((i, e, k) for e in sorted(out) if e > i)
        return self._choose(found)

    def _choose(self, found: list[tuple[int, int, int]]) -> list[tuple[int, int, str, str | None]]:
        """The EntityRuler's filter: longest first, then earliest; a match overlapping one
        already chosen is dropped. Among equal spans the earlier pattern wins."""
        order = sorted(found, key=lambda m: (-(m[1] - m[0]), m[0], m[2]))
        taken: set[int] = set()
        chosen = []
        for start, end, k in order:
            if any(t in taken for t in range(start, end)):
                continue
            taken.update(range(start, end))
            chosen.append((start, end, self.patterns[k].label, self.patterns[k].id))
        return sorted(chosen)
