"""A line's tokens read from their JSON bytes by compiled code (numba), for the HF export of
lines with tokens: no Python object per token.

`read(tokens_json, text)` parses the JSON array of a line's tokens (`decoded.with_columns` hands
its bytes over) and checks it as `checks._tokens_fine` checks tokens: ids 0, 1, 2..., offsets in
order, within the text, not overlapping, and each token's text the text at its offsets. It
returns the tokens' offsets and their texts as one UTF-8 buffer with each token's size in it
(what an Arrow string column is made of), or None for anything it does not take as it is: a
key it does not know, a key twice, a key or a number written otherwise than plainly, a float, a
null, an empty list. The caller then takes the slower way (msgspec's structs, or the whole
way), which decides: this reader never refuses a line itself, so it only has to be right on
what it accepts (a test compares it with msgspec's reading on mutated lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
_SMALLEST = len(b'{"text":"","start":0,"end":0,"id":0}')  # the fewest bytes of a token


@dataclass(slots=True)
class Tokens:
    """A line's tokens as columns: code-point offsets, and their texts as UTF-8 bytes."""

    starts: I64
    ends: I64
    utf8: bytes  # the token texts, one after the other
    sizes: I32  # each token's size in `utf8`, in bytes


def read(tokens_json: bytes, text: str) -> Tokens | None:
    """The tokens of `tokens_json` on `text`, or None (see the module docstring)."""
    try:
        text8 = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: the slower way decides
        return None
    seg = np.frombuffer(tokens_json, np.uint8)
    bound = len(tokens_json) // _SMALLEST + 1  # at most this many tokens (more: read slower)
    kernel = _kernel()
    n, starts, ends, out, sizes, used = kernel(
        seg, np.frombuffer(text8, np.uint8), len(text), bound
    )
    if n <= 0:
        return None
    return Tokens(starts[:n], ends[:n], out[:used].tobytes(), sizes[:n])


_COMPILED: list[Any] = []


def _kernel() -> Any:
    if not _COMPILED:
        from annotations.export.token_kernel import parse_tokens

        _COMPILED.append(parse_tokens)
    return _COMPILED[0]


def warm() -> None:
    """Compile (or load from numba's cache) the reader here, before worker processes fork."""
    read(b'[{"text":"a","start":0,"end":1,"id":0,"ws":false}]', "a")
