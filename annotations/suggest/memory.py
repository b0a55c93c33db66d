"""Memory of what annotators decided: every accepted span's exact surface text is suggested, with
its majority label, wherever that text appears on token boundaries; a surface annotators rejected
is not suggested again.

In an accepted article every mention has been reviewed, so a mention left without any span counts
against its surface (whether it was suggested and removed, or never suggested); so does a removed
suggestion that a kept span overlaps (`Jack` inside the kept `Jack Altman`). A surface
is rejected when rejections outweigh the spans that annotators kept on it; the chain then drops
other suggesters' spans on it too.

The memory holds one contribution per article and annotator (`Record.key`: the annotator and the
article, its `_input_hash` and text), as the files do: the latest decision wins. Learning a record
replaces that article's previous contribution (a reject or ignore leaves it none) and `forget`
removes it, so that a memory taught any sequence of decisions is the memory built fresh from the
latest of them, in the order they were made (ties between labels go to the label seen first in
that order). `annotations.review.learning` keeps it in step with a review session.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from annotations.records import ArticleKey, Record, Span, Token
from annotations.tokenize import french_tokenizer, tokenize

Key = tuple[str | None, ArticleKey]  # (annotator, article): `Record.key`


@dataclass
class Entry:
    """What the memory knows of one surface: kept spans per label, and rejections."""

    labels: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    # label -> {contribution order: position of its first span of that label on this surface},
    # for ties: the label seen first wins, whatever was learned and forgotten in between
    first: dict[str, dict[int, int]] = field(default_factory=dict)


@dataclass
class _Contribution:
    """One accepted article's share of the memory."""

    order: int  # when it was learned: contributions are ordered by their latest decision
    labels: dict[str, list[tuple[str, int]]]  # surface -> (label, span position) of kept spans
    rejected: Counter[str]  # surface -> removed suggestions overlapped by a kept span
    words: list[str]
    covered: bytearray  # 1 for the tokens inside some kept span
    positions: dict[str, list[int]]  # word -> its token positions
    surfaces: dict[str, tuple[str, ...]]  # surface of a kept span -> its tokens' texts


@lru_cache(maxsize=65_536)
def surface_words(surface: str) -> tuple[str, ...]:
    return tuple(t.text for t in french_tokenizer().make_doc(surface))


class Memory:
    name = "memory"

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._contributions: dict[Key, _Contribution] = {}
        self._index: dict[str, dict[Key, list[int]]] = {}  # word -> article -> positions
        self._implicit: dict[str, int] = {}
        self._matcher: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._dirty = True
        self._order = itertools.count()
        self._taught: set[Key] = set()  # the articles that teach something (once applied)
        # Decisions not applied yet: learning costs nothing at once (it runs right after a save,
        # before the next article is drawn); the first read applies them, the latest per article.
        self._queue: dict[Key, tuple[int, Record] | None] = {}
        # the tokens of each surface, from the articles it was learned in: matching needs no
        # tokenizer (building it takes seconds), and agrees with the records' own tokens
        self._words: dict[str, tuple[str, ...]] = {}

    # -- teaching --------------------------------------------------------------------------
    def learn(self, record: Record) -> None:
        """Take the latest decision on one article into account: it replaces whatever that
        annotator's earlier decision on the article taught (answer `accept` teaches its spans;
        `reject`, `ignore` or no answer teach nothing)."""
        key = record.key
        if record.answer == "accept":
            self._queue[key] = (next(self._order), record)
            self._taught.add(key)
        else:
            self._queue[key] = None
            self._taught.discard(key)
        self._dirty = True

    def forget(self, key: Key) -> bool:
        """Remove what the decision on one article (`Record.key`) taught, as when its
        submit is undone. False when it had taught nothing."""
        taught = key in self._taught
        self._taught.discard(key)
        self._queue[key] = None
        self._dirty = True
        return taught

    def learn_all(self, records: Iterable[Record]) -> Memory:
        """Learn records in file order: for each article the latest line wins."""
        for record in records:
            self.learn(record)
        return self

    def take(self, other: Memory) -> None:
        """Become `other` (built elsewhere, e.g. in a worker), keeping this object, which
        suggestion chains hold."""
        self.__dict__.update(other.__dict__)
        self._implicit = {}
        self._dirty = True

    def __contains__(self, key: Key) -> bool:
        return key in self._taught

    @property
    def entries(self) -> dict[str, Entry]:
        """Surface -> what annotators decided on it (read only)."""
        self._apply()
        return self._entries

    def _apply(self) -> None:
        if not self._queue:
            return
        queue, self._queue = self._queue, {}
        for key, learned in queue.items():
            self._remove(key)
            if learned is not None:
                self._add(key, _contribution(learned[1], learned[0]))
        self._implicit.clear()

    def _add(self, key: Key, contribution: _Contribution) -> None:
        self._contributions[key] = contribution
        for surface, kept in contribution.labels.items():
            entry = self._entries.setdefault(surface, Entry())
            for label, position in kept:
                entry.labels[label] += 1
                entry.first.setdefault(label, {}).setdefault(contribution.order, position)
        for surface, n in contribution.rejected.items():
            self._entries.setdefault(surface, Entry()).rejected += n
        for word, positions in contribution.positions.items():
            self._index.setdefault(word, {})[key] = positions
        for surface, words in contribution.surfaces.items():
            self._words.setdefault(surface, words)

    def _remove(self, key: Key) -> None:
        contribution = self._contributions.pop(key, None)
        if contribution is None:
            return
        for surface, kept in contribution.labels.items():
            entry = self._entries[surface]
            for label, _position in kept:
                entry.labels[label] -= 1
                if not entry.labels[label]:
                    del entry.labels[label]
            for label in {label for label, _position in kept}:
                first = entry.first[label]
                del first[contribution.order]
                if not first:
                    del entry.first[label]
        for surface, n in contribution.rejected.items():
            self._entries[surface].rejected -= n
        for surface in {*contribution.labels, *contribution.rejected}:
            entry = self._entries[surface]
            if not entry.labels and not entry.rejected:
                del self._entries[surface]
        for word in contribution.positions:
            docs = self._index[word]
            del docs[key]
            if not docs:
                del self._index[word]

    # -- reading ---------------------------------------------------------------------------
    def words_of(self, surface: str) -> tuple[str, ...]:
        """The tokens of a surface: as learned, else from the tokenizer."""
        self._apply()
        words = self._words.get(surface)
        return words if words is not None else surface_words(surface)

    def unlabelled_mentions(self, surface: str, words: Sequence[str] | None = None) -> int:
        """Mentions of `surface` (on token boundaries) in learned articles that no span touches.
        `words`: its tokens, when the caller has them (else `words_of`)."""
        self._apply()
        count = self._implicit.get(surface)
        if count is None:
            if words is None and surface not in self._words and not self._index:
                return 0  # nothing learned: no need to tokenise anything
            words = list(words if words is not None else self.words_of(surface))
            n = len(words)
            count = 0
            for key, positions in self._index.get(words[0], {}).items() if words else ():
                learned = self._contributions[key]
                for at in positions:
                    stop = at + n
                    if learned.words[at:stop] == words and learned.covered.find(1, at, stop) < 0:
                        count += 1
            self._implicit[surface] = count
        return count

    def rejects(self, surface: str, words: Sequence[str] | None = None) -> bool:
        entry = self.entries.get(surface)
        kept = entry.labels.total() if entry else 0
        against = (entry.rejected if entry else 0) + self.unlabelled_mentions(surface, words)
        return against > kept

    def decision(self, surface: str) -> tuple[str, float] | None:
        """(majority label, share of decisions for it) or None when not to be suggested."""
        entry = self.entries.get(surface)
        if entry is None or not entry.labels or self.rejects(surface):
            return None
        n = max(entry.labels.values())
        tied = [label for label, count in entry.labels.items() if count == n]
        # a tie goes to the label seen first (in the order of the decisions)
        label = min(tied, key=lambda lb: min(entry.first[lb].items())) if len(tied) > 1 else tied[0]
        total = entry.labels.total() + entry.rejected + self.unlabelled_mentions(surface)
        return label, n / total

    def _build(self) -> None:
        """Surfaces to suggest, by their first token: matched on the record's tokens in plain
        Python, as spaCy's PhraseMatcher on exact texts would (every occurrence)."""
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for surface in self.entries:
            if self.decision(surface) is not None:
                words = self.words_of(surface)
                if words:
                    by_first.setdefault(words[0], []).append((words, surface))
        self._matcher = by_first
        self._dirty = False

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        if self._dirty:
            self._build()
        by_first = self._matcher
        out = []
        for record in records:
            tokens = record.tokens if record.tokens is not None else tokenize(record.text)
            texts = [t.text for t in tokens]
            spans = []
            for i, word in enumerate(texts):
                for words, surface in by_first.get(word, ()):
                    n = len(words)
                    if tuple(texts[i : i + n]) != words:
                        continue
                    decision = self.decision(surface)
                    if decision is not None:
                        label, score = decision
                        s, e = tokens[i].start, tokens[i + n - 1].end
                        spans.append(Span(s, e, label, source=self.name, score=round(score, 3)))
            out.append(sorted(spans, key=lambda sp: (sp.start, sp.end)))
        return out


def _contribution(record: Record, order: int) -> _Contribution:
    """What an accepted record teaches, in time linear in its tokens and spans."""
    text = record.text
    spans = record.spans or []
    labels: dict[str, list[tuple[str, int]]] = {}
    for position, span in enumerate(spans):
        labels.setdefault(text[span.start : span.end], []).append((span.label, position))
    # a removed suggestion that no kept span touches is counted as an unlabelled mention (by
    # `unlabelled_mentions`); one that a kept span overlaps (`Jack` in `Jack Altman`) is counted
    # here. Kept spans by start, with the furthest end reached so far: a suggestion [s, e) is
    # touched when some kept span starting before e ends after s.
    by_start = sorted((s.start, s.end) for s in spans)
    starts = [a for a, _ in by_start]
    reach = list(itertools.accumulate((b for _, b in by_start), max))
    kept = set(by_start)
    rejected: Counter[str] = Counter()
    for span in record.suggestions or ():
        j = bisect.bisect_left(starts, span.end)
        if (span.start, span.end) not in kept and j and reach[j - 1] > span.start:
            rejected[text[span.start : span.end]] += 1
    tokens: list[Token] = record.tokens or tokenize(text)
    words = [t.text for t in tokens]
    covered = bytearray(len(tokens))
    token_starts = [t.start for t in tokens]
    token_ends = [t.end for t in tokens]
    for span in spans:
        a = bisect.bisect_right(token_ends, span.start)  # first token ending after the start
        b = bisect.bisect_left(
            token_starts, span.end
        )  # tokens from a before b start before its end
        if b > a:
            covered[a:b] = b"\x01" * (b - a)
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        at = positions.get(word)
        if at is None:
            positions[word] = [i]
        else:
            at.append(i)
    surfaces: dict[str, tuple[str, ...]] = {}
    for span in spans:
        a = bisect.bisect_left(token_starts, span.start)
        b = bisect.bisect_left(token_starts, span.end)
        if a < len(tokens) and token_starts[a] == span.start and token_ends[b - 1] == span.end:
            surfaces.setdefault(text[span.start : span.end], tuple(words[a:b]))
    return _Contribution(order, labels, rejected, words, covered, positions, surfaces)
