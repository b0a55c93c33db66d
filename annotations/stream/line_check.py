"""A line of our JSONL with tokens checked as a whole read checks it (`checks.parse_record`),
without a `Token` object per token, for `agree`, `stats` and the lines an export does not write.

`checked(obj, ...)` checks a decoded line and raises its first problem; `fast_check(raw, cache)`
takes a line's bytes, decoded by msgspec with its tokens left as JSON bytes (`decoded.untyped`):
the same article's tokens in the next annotator's line are the same bytes, found good once per
task (`TokenCache`), and new ones are decoded into typed structs and checked as
`checks._tokens_fine` checks them, column-wise. A line it does not take as it is gives None, and
the caller reads it the whole way: whenever a check does not pass, `checks.problems` itself says
what is wrong, so the messages are its. `counted` and `token_bounds` are the token boundaries
agreement counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter, methodcaller
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import orjson

from annotations.checks import problems
from annotations.errors import InputError
from annotations.stream.decoded import TOKENS, token_columns, untyped

I32 = npt.NDArray[np.int32]

_START, _END, _TEXT, _ID = (
    itemgetter("start"),
    itemgetter("end"),
    itemgetter("text"),
    itemgetter("id"),
)
_WS = itemgetter("ws")
_WS_OR_FALSE = methodcaller("get", "ws", False)


def _tokens_ok(tokens: list[Any], text: str) -> tuple[I32, npt.NDArray[np.bool_]] | None:
    """When `checks._tokens_fine` accepts these tokens: their (n, 2) starts and ends, and which
    of them agreement counts (`counted`); else None."""
    n = len(tokens)
    if n == 0:
        return np.zeros((0, 2), np.int32), np.zeros(0, bool)
    if set(map(type, tokens)) != {dict}:
        return None
    try:
        starts = list(map(_START, tokens))
        ends = list(map(_END, tokens))
        ids = list(map(_ID, tokens))
        texts = list(map(_TEXT, tokens))
    except KeyError:
        return None
    try:
        ws = set(map(type, map(_WS, tokens)))
    except KeyError:  # a token without "ws": as false
        ws = set(map(type, map(_WS_OR_FALSE, tokens)))
    if (
        set(map(type, starts)) != {int}
        or set(map(type, ends)) != {int}
        or set(map(type, ids)) != {int}
        or set(map(type, texts)) != {str}
        or not ws <= {bool}
        or ids != list(range(n))
    ):
        return None
    try:
        s = np.array(starts, dtype=np.int64)
        e = np.array(ends, dtype=np.int64)
    except OverflowError:
        return None
    if (
        s[0] < 0
        or bool((e < s).any())
        or e[-1] > len(text)
        or bool((s[1:] < e[:-1]).any())
        or bool(((e - s) != np.fromiter(map(len, texts), np.int64, n)).any())
        or not all(map(text.startswith, texts, starts))
    ):
        return None
    keep = (e > s) & ~np.fromiter(map(str.isspace, texts), bool, n)
    return np.stack([s, e], axis=1).astype(np.int32), keep


class TokenCache:
    """Token lists already found good in this task, by their text: the same article's tokens
    in the next annotator's line (the same part, or the same part of the next file) are
    compared as JSON bytes (`orjson.dumps`, in C: `0` is not `false` there, as `==` would have
    it) rather than checked again. Holds at most `size` lists."""

    def __init__(self, size: int = 1500) -> None:
        self.size = size
        self._seen: dict[str, tuple[bytes, tuple[I32, npt.NDArray[np.bool_]]]] = {}

    def check(self, tokens: list[Any], text: str) -> tuple[I32, npt.NDArray[np.bool_]] | None:
        if not self.size:
            return _tokens_ok(tokens, text)
        try:
            as_json = orjson.dumps(tokens)
        except (TypeError, orjson.JSONEncodeError):
            return _tokens_ok(tokens, text)
        known = self._seen.get(text)
        if known is not None and known[0] == as_json:
            return known[1]
        found = _tokens_ok(tokens, text)
        self._keep(text, as_json, found)
        return found

    def check_raw(self, as_json: bytes, text: str) -> tuple[I32, npt.NDArray[np.bool_]] | None:
        """`check` of tokens still as the JSON bytes of their line (`decoded.untyped`): decoded
        (by msgspec) only when new, and None also for what msgspec does not take as it is
        (the caller then reads the line the whole way)."""
        known = self._seen.get(text)
        if known is not None and known[0] == as_json:
            return known[1]
        try:
            columns = token_columns(TOKENS.decode(as_json), text)
        except msgspec.DecodeError:
            return None
        if columns is None:
            return None
        texts, s, e = columns
        found = (
            np.stack([s, e], axis=1).astype(np.int32),
            (e > s) & ~np.fromiter(map(str.isspace, texts), bool, len(texts)),
        )
        self._keep(text, as_json, found)
        return found

    def _keep(
        self, text: str, as_json: bytes, found: tuple[I32, npt.NDArray[np.bool_]] | None
    ) -> None:
        if found is not None and self.size and len(self._seen) < self.size:
            self._seen[text] = (as_json, found)


def _spans_on_tokens(obj: dict[str, Any], bounds: npt.NDArray[Any]) -> bool:
    """The spans' and suggestions' token_start/token_end cover their offsets (the part of
    `checks._spans_fine` that needs the tokens; `checks.problems` checks the rest without
    them). False for anything unexpected: `checks.problems` then says what is wrong."""
    n = len(bounds)
    try:
        for key in ("spans", "suggestions"):
            for span in obj.get(key) or ():
                ts, te = span.get("token_start"), span.get("token_end")
                if ts is None and te is None:
                    continue
                if not 0 <= ts <= te < n:
                    return False
                # as Python integers: a list where an offset is due must not broadcast
                if int(bounds[ts, 0]) != span["start"] or int(bounds[te, 1]) != span["end"]:
                    return False
    except (AttributeError, TypeError, KeyError, IndexError):
        return False
    return True


def fast_check(raw: bytes, cache: TokenCache) -> tuple[dict[str, Any], I32] | None:
    """A line with tokens decoded by msgspec and found good as `checked` finds it: its values
    (the tokens left out) and `checked`'s boundaries; None for anything else (the caller reads
    it the whole way, for the same message or the same values)."""
    decoded = untyped(raw) if b'"tokens"' in raw else None
    if decoded is None:
        return None
    obj, tokens = decoded
    text = obj.get("text")
    if tokens is None or type(text) is not str:
        return None
    found = cache.check_raw(tokens, text)
    if found is None or not _spans_on_tokens(obj, found[0]) or problems(obj):
        return None
    bounds, keep = found
    return obj, bounds if keep.all() else bounds[keep]


def checked(obj: Any, path: str, line: int, cache: TokenCache | None = None) -> I32 | None:
    """Check one decoded line as `checks.parse_record` does (raises its first problem as
    `InputError`); returns the boundaries of the tokens agreement counts (`counted`), None when
    the record has no tokens."""
    tokens = obj.get("tokens") if isinstance(obj, dict) else None
    text = obj.get("text") if isinstance(obj, dict) else None
    if isinstance(tokens, list) and isinstance(text, str):
        found = (cache or TokenCache(0)).check(tokens, text)
        if (
            found is not None
            and _spans_on_tokens(obj, found[0])
            and not problems({**obj, "tokens": None})
        ):
            bounds, keep = found
            return bounds if keep.all() else bounds[keep]
    found_problems = problems(obj)
    if found_problems:
        raise InputError(path, line, found_problems[0])
    if tokens is None:
        return None
    return counted([(t["start"], t["end"]) for t in tokens], obj["text"])


def counted(pairs: Iterable[tuple[int, int]], text: str) -> I32:
    """The tokens agreement counts, as (n, 2) starts and ends: those neither empty nor made only
    of whitespace (what `agreement.tokens` leaves out of tokens it is given as `Token`s)."""
    kept = [(s, e) for s, e in pairs if e > s and not text[s:e].isspace()]
    return np.array(kept, dtype=np.int32).reshape(-1, 2)


def token_bounds(tokens: list[dict[str, Any]], text: str) -> I32:
    """`counted` of tokens already checked (`checked`): their starts and ends, blank ones left
    out, column-wise."""
    if not tokens:
        return np.zeros((0, 2), np.int32)
    s = np.fromiter(map(_START, tokens), np.int64, len(tokens))
    e = np.fromiter(map(_END, tokens), np.int64, len(tokens))
    keep = (e > s) & ~np.fromiter(map(str.isspace, map(_TEXT, tokens)), bool, len(tokens))
    bounds = np.stack([s, e], axis=1).astype(np.int32)
    return bounds if keep.all() else bounds[keep]
