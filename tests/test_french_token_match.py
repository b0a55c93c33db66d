"""The factored French TOKEN_MATCH (`annotations.french_token_match`) accepts exactly the strings
spaCy's own pattern accepts, so `make_doc` gives the same tokens as a genuine `spacy.blank("fr")`.

The oracle is spaCy's own 266 patterns (`_regular_exp`, as the module builds them) compiled with
their large letter classes cut down to the letters a test's strings can hold (with every case
variant `re` treats as equal): the same answers on those strings, without the seconds that
compiling the full classes under `(?i)` costs."""

from __future__ import annotations

import pickle
import re
import sys
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import french_token_match
from annotations.tokenize import french_tokenizer
from tests.conftest import REFERENCE, SEEDS, need

Match = Callable[[str], Any]


@pytest.fixture(scope="module")
def nlp() -> Any:
    return french_tokenizer()


def _module() -> Any:
    french_tokenizer()
    return sys.modules[french_token_match.MODULE]


@cache
def _every_char() -> str:
    import array

    codes = array.array("I", [*range(0xD800), *range(0xE000, 0x110000)])
    return codes.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")


def oracle(texts: Iterable[str]) -> Match:
    """spaCy's original TOKEN_MATCH, right for strings made of the characters of `texts`."""
    return _oracle("".join(sorted(set("".join(texts)))))


@cache
def _oracle(sigma: str) -> Match:
    from spacy.lang.char_classes import ALPHA, ALPHA_LOWER

    # every character `re` equates with one of them under (?iu)
    same = set(re.findall("(?iu)[" + "".join(map(re.escape, sorted(sigma))) + "]", _every_char()))
    absent = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in same)

    def cut(letters: str) -> str:
        keep = [c for c in sorted(same) if re.fullmatch("[" + letters + "]", c)]
        return "".join(map(re.escape, keep)) or absent

    low, alpha = cut(ALPHA_LOWER), cut(ALPHA)
    exps = [e.replace(ALPHA_LOWER, low).replace(ALPHA, alpha) for e in _module()._regular_exp]
    assert not any(ALPHA_LOWER in e or ALPHA in e for e in exps)
    return re.compile("(?iu)" + "|".join(f"(?:{e})" for e in exps)).match


def _differences(strings: list[str], fast: Match) -> list[str]:
    slow = oracle(strings)
    return [s for s in strings if bool(slow(s)) != bool(fast(s))]


def test_spacy_french_gets_the_factored_pattern(nlp: Any) -> None:
    module = _module()
    pattern = nlp.tokenizer.token_match.__self__.pattern
    assert pattern == french_token_match.factored(vars(module))
    assert module.TOKEN_MATCH.__self__.pattern == pattern
    assert len(pattern) < len("|".join(module._regular_exp)) / 10


def _pieces() -> list[str]:
    """Every literal piece of spaCy's patterns, in the spellings its small classes allow."""
    module = _module()
    heads = [e[1:].split("[", 1)[0] for e in module._regular_exp[:51]]
    raw = heads + module._hyphen_prefix + module._elision_prefix + module._hyphen_combination
    out: set[str] = set()
    for piece in raw:
        for variant in (
            re.sub(r"\[(.)[^\]]*\]", r"\1", piece),  # first choice of each class
            re.sub(r"\[[^\]]*(.)\]", r"\1", piece),  # last choice
        ):
            for v in (variant.replace("?", ""), re.sub(r".\?", "", variant)):
                out.add(re.sub(r"\(\?:[^)]*\)", "", v))
                out.add(v.replace("(?:", "").replace(")", ""))
    return sorted(p for p in out if p)


def test_every_prefix_with_hyphens_elisions_and_case(nlp: Any) -> None:
    fast = nlp.tokenizer.token_match
    strings = []
    for piece in _pieces():
        for sep in "-–'’_":
            for tail in ("", "x", "Éa-b’c", "de-l'homme"):
                for word in (piece + sep + tail, "Saint" + sep + piece + sep + tail):
                    for cased in (word, word.swapcase()):
                        strings += [cased, cased + "\n"]
    assert sum(bool(fast(s)) for s in strings) > len(strings) / 10  # many match, many do not
    assert _differences(strings, fast) == []


_ALPHABET = "abdehilmnorstuxzéèêàçœÉÀABEHINORST" + "-–—‐‑'’" + " ._9\n"


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_ALPHABET), min_size=1, max_size=14))
def test_random_strings_over_the_patterns_alphabet(chars: list[str]) -> None:
    fast = french_tokenizer().tokenizer.token_match
    word = "".join(chars)
    assert bool(fast(word)) == bool(oracle([_ALPHABET])(word))


@cache
def _oracle_tokenizer(alphabet: str) -> Any:
    from spacy.tokenizer import Tokenizer

    tok = french_tokenizer().tokenizer
    return Tokenizer(
        tok.vocab,
        rules=tok.rules,
        prefix_search=tok.prefix_search,
        suffix_search=tok.suffix_search,
        infix_finditer=tok.infix_finditer,
        token_match=oracle([alphabet]),
        url_match=tok.url_match,
    )


def _same_tokens(text: str, alphabet: str | None = None) -> None:
    alphabet = "".join(sorted(set(alphabet or text)))
    ours = [(t.idx, t.text) for t in french_tokenizer().make_doc(text)]
    genuine = [(t.idx, t.text) for t in _oracle_tokenizer(alphabet)(text)]
    assert ours == genuine


def test_same_tokens_on_the_seed_articles() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(need(SEEDS).glob("*.txt"))]
    assert texts
    _same_tokens("\n\n".join(texts))


_JOINERS = frozenset("-–—‐‑'’")


def test_same_tokens_on_the_french_newspaper_corpus() -> None:
    bio = need(REFERENCE / "french_ner" / "enp_FR.bnf.bio")
    # `token TAG` lines (the tags among the words change nothing); every one of spaCy's patterns
    # needs a hyphen or an apostrophe, so the other words are tokenised alike whatever the match
    words = {w for w in bio.read_text(encoding="utf-8").split() if _JOINERS.intersection(w)}
    assert len(words) > 1000
    # the tokenizer treats each whitespace-separated piece on its own (and caches it)
    _same_tokens(" ".join(sorted(words)))


_PIECES = ["anti", "Après", "entr", "grandes", "saint", "de", "l", "sur", "Marie"]
_HYPHENATED = "".join(_PIECES) + "abéèÉç" + "-–'’.,«»() "
_WORD = st.lists(
    st.one_of(
        st.sampled_from(_PIECES),
        st.text("abéèÉç", min_size=1, max_size=4),
        st.sampled_from("-–'’.,«»()"),
    ),
    min_size=1,
    max_size=6,
).map("".join)


@settings(max_examples=100)
@given(st.lists(_WORD, min_size=1, max_size=8))
def test_same_tokens_on_hyphenated_text(words: list[str]) -> None:
    _same_tokens(" ".join(words), _HYPHENATED)


def test_tokenizer_serialises_and_pickles(nlp: Any) -> None:
    import spacy

    data = nlp.tokenizer.to_bytes()
    other: Any = spacy.blank("fr").tokenizer
    other.token_match = None
    other.from_bytes(data)
    pattern = nlp.tokenizer.token_match.__self__.pattern
    assert other.token_match.__self__.pattern == pattern
    copy = pickle.loads(pickle.dumps(nlp.tokenizer))
    text = "L’anti-inflammatoire d'après-guerre, à Saint-Martin-de-l’Isle."
    assert [t.text for t in copy(text)] == [t.text for t in nlp.make_doc(text)]


def test_factoring_refuses_what_it_does_not_know() -> None:
    ns = dict(vars(_module()))
    assert french_token_match.factored(ns) is not None
    cases: list[tuple[str, Callable[[Any], Any] | None, bool]] = [
        ("_hyphen_prefix", lambda v: [*v[:-1], "a|b"], True),  # a top-level `|`
        ("_hyphen_combination", lambda v: [*v[:-1], "(sa)int"], True),  # a numbered group
        ("_hyphen_prefix", lambda v: v[:-1], False),  # no longer what `_regular_exp` holds
        ("_regular_exp", lambda v: [*v[:3], "^x$", *v[3:]], False),
        ("_regular_exp", lambda v: [v[0].replace("+$", "?$"), *v[1:]], False),
        ("_elision_prefix", None, False),
    ]
    for name, change, rebuild in cases:
        changed = dict(ns)
        if change is None:
            del changed[name]
        else:
            changed[name] = change(ns[name])
        if rebuild:  # as spaCy's module would build it from the changed list
            changed["_regular_exp"] = _rebuilt(changed, ns)
            assert changed["_regular_exp"] != ns["_regular_exp"]
        assert french_token_match.factored(changed) is None, (name, rebuild)
    assert french_token_match.factored({**ns, "_regular_exp": _rebuilt(ns, ns)}) is not None


def _rebuilt(changed: dict[str, Any], ns: dict[str, Any]) -> list[str]:
    h, e, al, a = ns["HYPHENS"], ns["ELISION"], ns["ALPHA_LOWER"], ns["ALPHA"]
    n_fixed = len(ns["_regular_exp"]) - sum(
        len(ns[k]) for k in ("_hyphen_prefix", "_elision_prefix", "_hyphen_combination")
    )
    return [
        *ns["_regular_exp"][:n_fixed],
        *(f"^{p}[{h}][{al}][{h}{al}{e}]*$" for p in changed["_hyphen_prefix"]),
        *(f"^{p}[{e}][{al}][{h}{al}{e}]*$" for p in changed.get("_elision_prefix", [])),
        *(f"^[{a}]+[{h}]{c}[{h}](?:l[{e}])?[{a}]+$" for c in changed["_hyphen_combination"]),
    ]


def test_an_unknown_module_keeps_its_own_statement(tmp_path: Path) -> None:
    """The loader on a module whose lists are not spaCy's: the original statement runs."""
    import importlib.util

    source = tmp_path / "tokexc.py"
    source.write_text(
        'import re\n_regular_exp = ["^ab$", "^c[d]+$"]\n'
        'TOKEN_MATCH = re.compile("(?iu)" + "|".join(_regular_exp)).match\n',
        encoding="utf-8",
    )
    loader = french_token_match._Loader("tokexc_test", str(source))
    spec = importlib.util.spec_from_loader("tokexc_test", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    assert module.TOKEN_MATCH.__self__.pattern == "(?iu)^ab$|^c[d]+$"


def test_install_does_nothing_once_spacy_french_is_imported(nlp: Any) -> None:
    before = list(sys.meta_path)
    french_token_match.install()
    assert sys.meta_path == before
