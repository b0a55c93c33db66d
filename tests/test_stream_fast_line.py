"""`agree` and `stats` read a line with tokens by msgspec (`stream.line_check.fast_check`: its tokens as
JSON bytes, decoded only when their article's tokens are new to the task) only when the whole
way (`decode_line` + `checked`) takes it, and then with the same values and token boundaries.
The lines are those `test_export_lean` mutates, read alone and after the good line of the same
article (whose tokens the cache then holds)."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings

from annotations.errors import InputError
from annotations.store.lines import decode_line
from annotations.stream.decoded import TOKENS
from annotations.stream.line_check import TokenCache, checked, fast_check
from tests.test_export_lean import GOOD, mutated


def _whole(raw: bytes) -> tuple[dict[str, Any], Any] | None:
    try:
        obj = decode_line(raw, "x.jsonl", 1)
        return obj, checked(obj, "x.jsonl", 1)
    except InputError:
        return None


def _same_as_whole(raw: bytes, cache: TokenCache) -> None:
    fast = fast_check(raw, cache)
    if fast is None:
        return  # the whole way decides, as before
    whole = _whole(raw)
    assert whole is not None, raw  # taken by the fast way, refused by the whole way
    obj, bounds = whole
    assert fast[0] == {k: v for k, v in obj.items() if k != "tokens"}
    assert np.array_equal(fast[1], bounds)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_line_alone_reads_as_the_whole_way_reads_it(raw: bytes) -> None:
    _same_as_whole(raw, TokenCache())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_line_after_its_article_reads_as_the_whole_way_reads_it(raw: bytes) -> None:
    cache = TokenCache()
    assert fast_check(GOOD, cache) is not None  # the good line's tokens are now known
    _same_as_whole(raw, cache)


def test_the_tokens_of_an_article_met_again_are_not_decoded_again(monkeypatch: Any) -> None:
    import annotations.stream.line_check as line_check

    decoded: list[bytes] = []

    class Counting:
        def decode(self, raw: bytes) -> Any:
            decoded.append(raw)
            return TOKENS.decode(raw)

    monkeypatch.setattr(line_check, "TOKENS", Counting())
    cache = TokenCache()
    first = fast_check(GOOD, cache)
    again = fast_check(GOOD, cache)
    assert first is not None and again is not None
    assert np.array_equal(first[1], again[1])
    assert len(decoded) == 1
    other = orjson.loads(GOOD)
    other["tokens"][0]["text"] = "Marix"  # the same text, other tokens: checked, and refused
    assert fast_check(orjson.dumps(other), cache) is None
    assert len(decoded) == 2
