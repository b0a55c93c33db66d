"""Telling articles apart when their `_input_hash` values collide.

An article is its `_input_hash` and its text (`records.ArticleKey`, `Record.article_key`):
Prodigy's hashes are 32-bit, so two different texts of one dataset may share one, and they are
still two articles everywhere. Small maps (a session's decisions, the memory, a resume) key by
`Record.key` / `Record.article_key`; the passes over a whole corpus (`store.latest`, `by_article`)
find the same articles without hashing every text. This module also has the names that tell
colliding articles apart (`ids`) and the warning `validate` prints for each collision
(`Collisions`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from annotations.records import input_hash
from annotations.store.latest import P


class Collisions:
    """Finds, record by record, the `_input_hash` values that a file gives to different texts,
    and says so once per new text: `warning: _input_hash H is also used by line L for a
    different text` (where the first record with that hash is). Only a digest of each text is
    held, so memory stays small on a large file; a text seen again under its hash (another
    annotator, a later decision) is no new collision."""

    def __init__(self) -> None:
        self._first: dict[int, tuple[int, str]] = {}  # hash -> (text digest, where it was)
        self._more: dict[int, set[int]] = {}  # hash -> digests of the other texts seen

    def check(self, in_hash: int, text: str, place: str) -> str | None:
        """The warning for this record (without its `file:line: ` prefix), or None. `place`:
        how a later warning names this record's place (`line 12`)."""
        # the digest is only compared within this run: Python's own string hash, the fastest
        digest = hash(text)
        first = self._first.get(in_hash)
        if first is None:
            self._first[in_hash] = (digest, place)
            return None
        if first[0] == digest:
            return None
        others = self._more.setdefault(in_hash, set())
        if digest in others:
            return None
        others.add(digest)
        return f"warning: _input_hash {in_hash} is also used by {first[1]} for a different text"


def by_article(items: Iterable[P]) -> list[list[P]]:
    """(record, anything) pairs grouped by article (`Record.article_key`), in the order each
    article first appeared. Keyed as `store.latest` keys its table: by hash, and by hash and
    text only for a text that meets another under its hash."""
    groups: dict[int | tuple[int, str], list[P]] = {}
    for item in items:
        record = item[0]
        h = record.input_hash if record.input_hash is not None else input_hash(record.text)
        key: int | tuple[int, str] = h
        group = groups.get(h)
        if group is not None and group[0][0].text != record.text:
            key = (h, record.text)
            group = groups.get(key)
        if group is None:
            groups[key] = [item]
        else:
            group.append(item)
    return list(groups.values())


def ids(groups: Sequence[list[P]]) -> list[str]:
    """A name per article (a group of `by_article`): its hash (`str(HASH)`), and for an article
    whose hash an earlier one has, `HASH-2`, `HASH-3`... Ids stay what they were in a file
    without collisions, and unique in one with them."""
    hashes = [
        r.input_hash if r.input_hash is not None else input_hash(r.text)
        for r in (group[0][0] for group in groups)
    ]
    return ids_from_hashes(hashes)


def ids_from_hashes(hashes: list[int]) -> list[str]:
    """`ids` from the articles' hashes, in the same order."""
    if len(set(hashes)) == len(hashes):  # no collision: the usual case, in C-level loops
        return list(map(str, hashes))
    seen: set[int] = set()
    later: Counter[int] = Counter()
    out: list[str] = []
    for h in hashes:
        if h in seen:
            later[h] += 1
            out.append(f"{h}-{later[h] + 1}")
        else:
            seen.add(h)
            out.append(str(h))
    return out
