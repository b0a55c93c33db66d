"""Memory of what annotators decided: every accepted span's exact surface text is suggested, with
its majority label, wherever that text appears on token boundaries; a surface annotators rejected
more often than they accepted it is not suggested again.

The review session calls `learn(record)` after each submitted article, so a name fixed once is
right in every later article.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotations.records import Record, Span
from annotations.tokenize import french_tokenizer


@dataclass
class Entry:
    labels: Counter[str] = field(default_factory=Counter)
    rejected: int = 0

    def decision(self) -> tuple[str, float] | None:
        """(majority label, share of accepts) or None when rejections outweigh acceptances."""
        accepted = sum(self.labels.values())
        if accepted == 0 or self.rejected >= accepted:
            return None
        label, n = self.labels.most_common(1)[0]  # a tie goes to the label seen first
        return label, n / (accepted + self.rejected)


class Memory:
    name = "memory"

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self._matcher: Any = None
        self._dirty = True

    def learn(self, record: Record) -> None:
        """Take one reviewed record into account (answer `accept`; others are ignored)."""
        if record.answer != "accept":
            return
        kept = {(s.start, s.end) for s in record.spans or ()}
        for span in record.spans or ():
            surface = record.text[span.start : span.end]
            entry = self.entries.setdefault(surface, Entry())
            entry.labels[span.label] += 1
        for span in record.suggestions or ():
            if (span.start, span.end) not in kept:
                surface = record.text[span.start : span.end]
                self.entries.setdefault(surface, Entry()).rejected += 1
        self._dirty = True

    def learn_all(self, records: Iterable[Record]) -> Memory:
        for record in records:
            self.learn(record)
        return self

    def _build(self) -> None:
        from spacy.matcher import PhraseMatcher

        nlp = french_tokenizer()
        matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        for surface, entry in self.entries.items():
            if entry.decision() is not None:
                matcher.add(surface, [nlp.make_doc(surface)])
        self._matcher = matcher
        self._dirty = False

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        if self._dirty:
            self._build()
        assert self._matcher is not None
        nlp = french_tokenizer()
        out = []
        for record in records:
            doc = nlp.make_doc(record.text)
            spans = []
            for match_id, start, end in self._matcher(doc):
                surface = nlp.vocab.strings[match_id]
                decision = self.entries[surface].decision()
                if decision is None:
                    continue
                label, score = decision
                s, e = doc[start].idx, doc[end - 1].idx + len(doc[end - 1])
                spans.append(Span(s, e, label, source=self.name, score=round(score, 3)))
            out.append(spans)
        return out
