"""Train / dev / test splits: deterministic, grouped by `_input_hash`, sensible at any size.

Every distinct text (its `_input_hash`) is one group, so the rows of one text (one per annotator
under `--policy all`) always land in the same split (two texts sharing a hash, a collision, share
a group too: both are kept, in one split). Groups are put in a seeded pseudo-random
order (splitmix64 of the hash mixed with the seed, in numpy: 500k texts in milliseconds) that does
not depend on the order of the input files, and, as the data grows, moves few texts between
splits. The order is cut into consecutive runs whose sizes are the ratios times the number of
groups, rounded by largest remainder (ties go to the earlier split). The train split is never
empty when there is at least one text; a split that gets no text is left out of the export, and
the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from annotations.errors import UsageError

SPLIT_NAMES = ("train", "dev", "test")
DEFAULT_SPLIT = "0.8,0.1,0.1"


def parse_split(text: str) -> tuple[float, ...]:
    """`"0.8,0.1,0.1"` -> (0.8, 0.1, 0.1): one to three proportions (train, dev, test), normalised
    to sum to 1 (`80,10,10` works too)."""
    parts = [p.strip() for p in text.split(",")]
    if not 1 <= len(parts) <= len(SPLIT_NAMES) or any(not p for p in parts):
        raise UsageError(f"--split takes 1 to 3 numbers (train,dev,test), got {text!r}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise UsageError(f"--split takes numbers like 0.8,0.1,0.1, got {text!r}") from None
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise UsageError(f"--split proportions must be non-negative numbers, got {text!r}")
    if values[0] <= 0:
        raise UsageError(f"--split: the train proportion must be above 0, got {text!r}")
    total = sum(values)
    return tuple(v / total for v in values)


def split_sizes(n: int, ratios: tuple[float, ...]) -> list[int]:
    """How many of `n` groups go to each split: largest remainder, train at least 1 if n ≥ 1."""
    exact = [r * n for r in ratios]
    sizes = [math.floor(x) for x in exact]
    left = n - sum(sizes)
    order = sorted(range(len(ratios)), key=lambda i: (-(exact[i] - sizes[i]), i))
    for i in order[:left]:
        sizes[i] += 1
    if n and sizes[0] == 0:
        donor = max(range(1, len(sizes)), key=lambda i: (sizes[i], -i))
        sizes[donor] -= 1
        sizes[0] += 1
    return sizes


_MASK = (1 << 64) - 1


def _mix(x: Any) -> Any:
    """splitmix64's finaliser on uint64 numpy arrays (wrapping arithmetic): a fixed, well-spread
    order that does not depend on the Python version, the platform or the input order."""
    import numpy as np

    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def seeded_order(input_hashes: Iterable[int], seed: int = 0) -> list[int]:
    """The distinct input hashes in the seeded order the splits are cut from."""
    import numpy as np

    groups = sorted(set(input_hashes))
    keys = np.fromiter((h & _MASK for h in groups), np.uint64, len(groups))
    salt = _mix(np.array([seed & _MASK], dtype=np.uint64))[0]
    order = np.argsort(_mix(keys ^ salt), kind="stable").tolist()  # ties: by hash (sorted)
    return [groups[i] for i in order]


def seeded_fractions(input_hashes: Iterable[int], seed: int = 0) -> dict[int, float]:
    """Each distinct hash's place in the seeded order as a number in [0, 1), on its own: a hash
    keeps its number whatever the other hashes are (what a sticky held-out part needs)."""
    import numpy as np

    groups = sorted(set(input_hashes))
    keys = np.fromiter((h & _MASK for h in groups), np.uint64, len(groups))
    salt = _mix(np.array([seed & _MASK], dtype=np.uint64))[0]
    mixed = (_mix(keys ^ salt) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return dict(zip(groups, mixed.tolist(), strict=True))


def assign(input_hashes: Iterable[int], ratios: tuple[float, ...], seed: int = 0) -> dict[int, str]:
    """Map every distinct input hash to a split name (`train`, `dev`, `test`)."""
    order = seeded_order(input_hashes, seed)
    out: dict[int, str] = {}
    pos = 0
    for name, size in zip(SPLIT_NAMES, split_sizes(len(order), ratios), strict=False):
        for h in order[pos : pos + size]:
            out[h] = name
        pos += size
    return out


def assign_codes(bits: Any, big: Any, ratios: tuple[float, ...], seed: int = 0) -> Any:
    """`assign` in numpy columns: for hashes given as their 64 bits (`bits`, int64) and whether
    each is 2**63 or more (`big`), the index into `SPLIT_NAMES` of each one's split (uint8)."""
    import numpy as np

    n = len(bits)
    order = np.lexsort((bits, big))  # as Python sorts the integers
    new = np.ones(n, np.bool_)
    if n:
        new[1:] = (bits[order][1:] != bits[order][:-1]) | (big[order][1:] != big[order][:-1])
    keys = bits[order][new].view(np.uint64)
    salt = _mix(np.array([seed & _MASK], dtype=np.uint64))[0]
    seeded = np.argsort(_mix(keys ^ salt), kind="stable")  # ties: by hash (sorted)
    sizes = split_sizes(len(keys), ratios)
    code = np.empty(len(keys), np.uint8)
    code[seeded] = np.repeat(np.arange(len(sizes), dtype=np.uint8), sizes)
    out = np.empty(n, np.uint8)
    out[order] = code[np.cumsum(new) - 1]
    return out
