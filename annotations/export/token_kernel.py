"""The compiled part of `token_reader`: a strict reader of a JSON array of token objects.

`parse_tokens(seg, text8, n_chars, bound)` returns (n, starts, ends, utf8, sizes, used): n the
number of tokens, or -1 for a line it leaves to the slower way (see `token_reader`). Every
branch that is not the plain form of a token bails out; nothing here raises.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

_TEXT, _START, _END, _ID, _WS = 1, 2, 4, 8, 16
_NEEDED = _TEXT | _START | _END | _ID
# a token as our files write it, key by key (`_plain` reads it in one go)
# (tuples: numba compiles them in as constants, where arrays would be unpickled at every call)
_OPEN = tuple(b'{"text":"')
_AT_START = tuple(b',"start":')
_AT_END = tuple(b',"end":')
_AT_ID = tuple(b',"id":')
_AT_WS = tuple(b',"ws":')


@njit(cache=True, nogil=True)
def _space(seg: Any, i: int, n: int) -> int:
    while i < n and (seg[i] == 32 or seg[i] == 9 or seg[i] == 10 or seg[i] == 13):
        i += 1
    return i


@njit(cache=True, nogil=True)
def _string(seg: Any, i: int, n: int) -> tuple[int, bool]:
    """From the opening quote at `i`: the index past the closing one (-1 for a control
    character or no end), and whether the string holds an escape."""
    i += 1
    escaped = False
    while i < n:
        c = seg[i]
        if c == 34:
            return i + 1, escaped
        if c == 92:
            escaped = True
            i += 2
            continue
        if c < 32:
            return -1, escaped
        i += 1
    return -1, escaped


@njit(cache=True, nogil=True)
def _key(seg: Any, lo: int, hi: int) -> int:
    """Which key the bytes `seg[lo:hi]` (between the quotes) are, 0 for another."""
    size = hi - lo
    if size == 4 and seg[lo] == 116 and seg[lo + 1] == 101 and seg[lo + 2] == 120:
        return _TEXT if seg[lo + 3] == 116 else 0  # text
    if size == 5 and seg[lo] == 115 and seg[lo + 1] == 116 and seg[lo + 2] == 97:
        return _START if seg[lo + 3] == 114 and seg[lo + 4] == 116 else 0  # start
    if size == 3 and seg[lo] == 101 and seg[lo + 1] == 110 and seg[lo + 2] == 100:
        return _END  # end
    if size == 2 and seg[lo] == 105 and seg[lo + 1] == 100:
        return _ID  # id
    if size == 2 and seg[lo] == 119 and seg[lo + 1] == 115:
        return _WS  # ws
    return 0


@njit(cache=True, nogil=True)
def _integer(seg: Any, i: int, n: int) -> tuple[int, int]:
    """A plain non-negative integer of at most 18 digits at `i`: (value, index past it), or
    (-1, -1) for anything else (a sign, a fraction, an exponent, a leading zero, too long)."""
    if i >= n or seg[i] < 48 or seg[i] > 57:
        return -1, -1
    if seg[i] == 48:
        j = i + 1
        value = 0
    else:
        value = 0
        j = i
        while j < n and 48 <= seg[j] <= 57:
            value = value * 10 + (seg[j] - 48)
            j += 1
            if j - i > 18:
                return -1, -1
    if j < n and (seg[j] == 46 or seg[j] == 101 or seg[j] == 69 or 48 <= seg[j] <= 57):
        return -1, -1
    return value, j


@njit(cache=True, nogil=True)
def _is(seg: Any, i: int, n: int, want: Any) -> bool:
    """Whether the bytes at `i` are `want`."""
    if i + len(want) > n:
        return False
    for k in range(len(want)):  # noqa: SIM110 (a loop numba compiles, not a generator)
        if seg[i + k] != want[k]:
            return False
    return True


@njit(cache=True, nogil=True)
def _plain(seg: Any, i: int, n: int) -> tuple[int, int, int, int, int, int, bool]:
    """The token object at `i` when it is written as our files write it (keys in their order,
    no spaces, "ws" last): (index past it, start, end, id, text from, text to, escaped), the
    first -1 for any other writing (read then key by key)."""
    fail = (-1, 0, 0, 0, 0, 0, False)
    if not _is(seg, i, n, _OPEN):
        return fail
    after, escaped = _string(seg, i + len(_OPEN) - 1, n)
    if after < 0 or not _is(seg, after, n, _AT_START):
        return fail
    text_lo, text_hi = i + len(_OPEN), after - 1
    start, j = _integer(seg, after + len(_AT_START), n)
    if start < 0 or not _is(seg, j, n, _AT_END):
        return fail
    end, j = _integer(seg, j + len(_AT_END), n)
    if end < 0 or not _is(seg, j, n, _AT_ID):
        return fail
    ident, j = _integer(seg, j + len(_AT_ID), n)
    if ident < 0:
        return fail
    if _is(seg, j, n, _AT_WS):
        j += len(_AT_WS)
        if j + 5 <= n and seg[j] == 116 and seg[j + 1] == 114 and seg[j + 2] == 117:
            if seg[j + 3] != 101:
                return fail
            j += 4  # true
        elif j + 6 <= n and seg[j] == 102 and seg[j + 1] == 97 and seg[j + 2] == 108:
            if seg[j + 3] != 115 or seg[j + 4] != 101:
                return fail
            j += 5  # false
        else:
            return fail
    if j >= n or seg[j] != 125:  # }
        return fail
    return j + 1, start, end, ident, text_lo, text_hi, escaped


@njit(cache=True, nogil=True)
def _hex4(seg: Any, i: int, n: int) -> int:
    if i + 4 > n:
        return -1
    value = 0
    for k in range(4):
        c = seg[i + k]
        if 48 <= c <= 57:
            d = c - 48
        elif 97 <= c <= 102:
            d = c - 87
        elif 65 <= c <= 70:
            d = c - 55
        else:
            return -1
        value = value * 16 + d
    return value


@njit(cache=True, nogil=True)
def _same_escaped(seg: Any, lo: int, hi: int, text8: Any, b0: int, b1: int) -> bool:
    """Whether the JSON string body `seg[lo:hi]` (with escapes) decodes to the UTF-8 bytes
    `text8[b0:b1]`."""
    i = lo
    at = b0
    while i < hi:
        c = seg[i]
        if c != 92:
            if at >= b1 or text8[at] != c:
                return False
            at += 1
            i += 1
            continue
        e = seg[i + 1]
        i += 2
        if e == 117:  # \uXXXX
            cp = _hex4(seg, i, hi)
            if cp < 0:
                return False
            i += 4
            if 0xD800 <= cp < 0xDC00:
                if i + 6 > hi or seg[i] != 92 or seg[i + 1] != 117:
                    return False
                low = _hex4(seg, i + 2, hi)
                if low < 0xDC00 or low >= 0xE000:
                    return False
                i += 6
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
            elif 0xDC00 <= cp < 0xE000:
                return False
            if cp < 0x80:
                want = 1
            elif cp < 0x800:
                want = 2
            elif cp < 0x10000:
                want = 3
            else:
                want = 4
            if at + want > b1:
                return False
            if want == 1:
                ok = text8[at] == cp
            elif want == 2:
                ok = text8[at] == (0xC0 | (cp >> 6)) and text8[at + 1] == (0x80 | (cp & 0x3F))
            elif want == 3:
                ok = (
                    text8[at] == (0xE0 | (cp >> 12))
                    and text8[at + 1] == (0x80 | ((cp >> 6) & 0x3F))
                    and text8[at + 2] == (0x80 | (cp & 0x3F))
                )
            else:
                ok = (
                    text8[at] == (0xF0 | (cp >> 18))
                    and text8[at + 1] == (0x80 | ((cp >> 12) & 0x3F))
                    and text8[at + 2] == (0x80 | ((cp >> 6) & 0x3F))
                    and text8[at + 3] == (0x80 | (cp & 0x3F))
                )
            if not ok:
                return False
            at += want
            continue
        if e == 34 or e == 92 or e == 47:
            byte = e
        elif e == 98:
            byte = 8
        elif e == 102:
            byte = 12
        elif e == 110:
            byte = 10
        elif e == 114:
            byte = 13
        elif e == 116:
            byte = 9
        else:
            return False
        if at >= b1 or text8[at] != byte:
            return False
        at += 1
    return at == b1


@njit(cache=True, nogil=True)
def _by_key(seg: Any, i: int, n: int) -> tuple[int, int, int, int, int, int, bool]:
    """The token object at `i` (its opening brace) read key by key, in any order and spacing:
    as `_plain`, or -1 first for a key it does not know, a key twice, one missing."""
    fail = (-1, 0, 0, 0, 0, 0, False)
    i = _space(seg, i + 1, n)
    seen = 0
    text_lo = text_hi = 0
    escaped = False
    start = end = ident = -1
    while True:
        if i >= n or seg[i] != 34:
            return fail
        after, key_escaped = _string(seg, i, n)
        if after < 0 or key_escaped:
            return fail
        key = _key(seg, i + 1, after - 1)
        if key == 0 or (seen & key) != 0:
            return fail
        seen |= key
        i = _space(seg, after, n)
        if i >= n or seg[i] != 58:  # :
            return fail
        i = _space(seg, i + 1, n)
        if key == _TEXT:
            if i >= n or seg[i] != 34:
                return fail
            after, escaped = _string(seg, i, n)
            if after < 0:
                return fail
            text_lo, text_hi = i + 1, after - 1
            i = after
        elif key == _WS:
            if i + 4 <= n and seg[i] == 116 and seg[i + 1] == 114 and seg[i + 2] == 117:
                if seg[i + 3] != 101:
                    return fail
                i += 4  # true
            elif i + 5 <= n and seg[i] == 102 and seg[i + 1] == 97 and seg[i + 2] == 108:
                if seg[i + 3] != 115 or seg[i + 4] != 101:
                    return fail
                i += 5  # false
            else:
                return fail
        else:
            value, i = _integer(seg, i, n)
            if value < 0:
                return fail
            if key == _START:
                start = value
            elif key == _END:
                end = value
            else:
                ident = value
        i = _space(seg, i, n)
        if i < n and seg[i] == 44:  # ,
            i = _space(seg, i + 1, n)
            continue
        if i < n and seg[i] == 125:  # }
            if (seen & _NEEDED) != _NEEDED:
                return fail
            return i + 1, start, end, ident, text_lo, text_hi, escaped
        return fail


@njit(cache=True, nogil=True)
def parse_tokens(seg: Any, text8: Any, n_chars: int, bound: int) -> Any:
    """See the module docstring."""
    starts = np.empty(bound, np.int64)
    ends = np.empty(bound, np.int64)
    sizes = np.empty(bound, np.int32)
    out = np.empty(len(text8), np.uint8)
    # where each character begins in `text8`, and one past the end
    offsets = np.empty(n_chars + 1, np.int64)
    k = 0
    for b in range(len(text8)):
        if (text8[b] & 0xC0) != 0x80:
            if k >= n_chars:
                return -1, starts, ends, out, sizes, 0
            offsets[k] = b
            k += 1
    if k != n_chars:
        return -1, starts, ends, out, sizes, 0
    offsets[n_chars] = len(text8)

    n = len(seg)
    i = _space(seg, 0, n)
    if i >= n or seg[i] != 91:  # [
        return -1, starts, ends, out, sizes, 0
    i = _space(seg, i + 1, n)
    count = 0
    used = 0
    prev_end = 0
    while True:
        if i >= n or seg[i] != 123 or count >= bound:  # {
            return -1, starts, ends, out, sizes, 0
        past, start, end, ident, text_lo, text_hi, escaped = _plain(seg, i, n)
        if past >= 0:
            i = past
        else:
            i, start, end, ident, text_lo, text_hi, escaped = _by_key(seg, i, n)
            if i < 0:
                return -1, starts, ends, out, sizes, 0

        if ident != count:
            return -1, starts, ends, out, sizes, 0
        if start < prev_end or end < start or end > n_chars:
            return -1, starts, ends, out, sizes, 0
        b0 = offsets[start]
        b1 = offsets[end]
        if escaped:
            if not _same_escaped(seg, text_lo, text_hi, text8, b0, b1):
                return -1, starts, ends, out, sizes, 0
        else:
            if text_hi - text_lo != b1 - b0:
                return -1, starts, ends, out, sizes, 0
            for j in range(b1 - b0):
                if seg[text_lo + j] != text8[b0 + j]:
                    return -1, starts, ends, out, sizes, 0
        for j in range(b1 - b0):
            out[used + j] = text8[b0 + j]
        used += b1 - b0
        starts[count] = start
        ends[count] = end
        sizes[count] = b1 - b0
        prev_end = end
        count += 1
        i = _space(seg, i, n)
        if i < n and seg[i] == 44:  # ,
            i = _space(seg, i + 1, n)
            continue
        if i < n and seg[i] == 93:  # ]
            i = _space(seg, i + 1, n)
            if i != n:
                return -1, starts, ends, out, sizes, 0
            return count, starts, ends, out, sizes, used
        return -1, starts, ends, out, sizes, 0
