"""Memory of what annotators decided: every accepted span's exact surface text is suggested, with
its majority label, wherever that text appears on token boundaries; a surface annotators rejected
is not suggested again.

In an accepted article every mention has been reviewed, so a mention left without any span counts
against its surface (whether it was suggested and removed, or never suggested); so does a removed
suggestion that a kept span overlaps (`Jack` inside the kept `Jack Altman`). A surface
is rejected when rejections outweigh the spans that annotators kept on it; the chain then drops
other suggesters' spans on it too.

The review session calls `learn(record)` after each submitted article, so a name fixed once is
right in every later article.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotations.records import Record, Span
from annotations.tokenize import french_tokenizer, tokenize


@dataclass
class Entry:
    labels: Counter[str] = field(default_factory=Counter)
    rejected: int = 0


@dataclass
class _Learned:
    words: list[str]
    starts: list[int]
    ends: list[int]
    exact: set[tuple[int, int]]  # (first token, last token) of each span
    covered: set[int]  # tokens inside some span


class Memory:
    name = "memory"

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self._learned: list[_Learned] = []
        self._index: dict[str, list[tuple[int, int]]] = defaultdict(list)  # word -> (doc, token)
        self._implicit: dict[str, int] = {}
        self._matcher: Any = None
        self._dirty = True

    def learn(self, record: Record) -> None:
        """Take one reviewed record into account (answer `accept`; others are ignored)."""
        if record.answer != "accept":
            return
        spans = record.spans or []
        kept = {(s.start, s.end) for s in spans}
        for span in spans:
            self.entries.setdefault(record.text[span.start : span.end], Entry()).labels[
                span.label
            ] += 1
        for span in record.suggestions or ():
            # a removed suggestion that no kept span touches is counted as an unlabelled mention
            # (below); one that a kept span overlaps (`Jack` in `Jack Altman`) is counted here
            touched = any(k.start < span.end and span.start < k.end for k in spans)
            if (span.start, span.end) not in kept and touched:
                self.entries.setdefault(record.text[span.start : span.end], Entry()).rejected += 1
        tokens = record.tokens or tokenize(record.text)
        by_start = {t.start: t.id for t in tokens}
        by_end = {t.end: t.id for t in tokens}
        exact: set[tuple[int, int]] = set()
        covered: set[int] = set()
        for span in spans:
            a, b = by_start.get(span.start), by_end.get(span.end)
            if a is not None and b is not None:
                exact.add((a, b))
            covered.update(t.id for t in tokens if t.start < span.end and t.end > span.start)
        doc = len(self._learned)
        self._learned.append(
            _Learned(
                [t.text for t in tokens],
                [t.start for t in tokens],
                [t.end for t in tokens],
                exact,
                covered,
            )
        )
        for t in tokens:
            self._index[t.text].append((doc, t.id))
        self._implicit.clear()
        self._dirty = True

    def learn_all(self, records: Iterable[Record]) -> Memory:
        for record in records:
            self.learn(record)
        return self

    def unlabelled_mentions(self, surface: str) -> int:
        """Mentions of `surface` (on token boundaries) in learned articles that no span touches."""
        if surface not in self._implicit:
            words = [t.text for t in french_tokenizer().make_doc(surface)]
            count = 0
            for doc, at in self._index.get(words[0], ()) if words else ():
                learned = self._learned[doc]
                stop = at + len(words)
                if learned.words[at:stop] == words and not any(
                    k in learned.covered for k in range(at, stop)
                ):
                    count += 1
            self._implicit[surface] = count
        return self._implicit[surface]

    def rejects(self, surface: str) -> bool:
        entry = self.entries.get(surface)
        kept = sum(entry.labels.values()) if entry else 0
        against = (entry.rejected if entry else 0) + self.unlabelled_mentions(surface)
        return against > kept

    def decision(self, surface: str) -> tuple[str, float] | None:
        """(majority label, share of decisions for it) or None when not to be suggested."""
        entry = self.entries.get(surface)
        if entry is None or not entry.labels or self.rejects(surface):
            return None
        label, n = entry.labels.most_common(1)[0]  # a tie goes to the label seen first
        total = sum(entry.labels.values()) + entry.rejected + self.unlabelled_mentions(surface)
        return label, n / total

    def _build(self) -> None:
        from spacy.matcher import PhraseMatcher

        nlp = french_tokenizer()
        matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for surface in self.entries:
            if self.decision(surface) is not None:
                matcher.add(surface, [nlp.make_doc(surface)])
        self._matcher = matcher
        self._dirty = False

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        if self._dirty:
            self._build()
        from spacy.tokens import Doc

        nlp = french_tokenizer()
        out = []
        for record in records:
            # the record's own tokens when it has them (no second tokenisation); offsets come
            # from them, since a Doc rebuilt from words may not spell the text exactly
            tokens = record.tokens or tokenize(record.text)
            doc = Doc(
                nlp.vocab, words=[t.text for t in tokens], spaces=[bool(t.ws) for t in tokens]
            )
            spans = []
            for match_id, start, end in self._matcher(doc):
                decision = self.decision(nlp.vocab.strings[match_id])
                if decision is not None:
                    label, score = decision
                    s, e = tokens[start].start, tokens[end - 1].end
                    spans.append(Span(s, e, label, source=self.name, score=round(score, 3)))
            out.append(spans)
        return out
