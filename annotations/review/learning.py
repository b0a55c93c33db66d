"""What the memory learns from a review session: exactly the latest decision per article (per
annotator and article, `Record.key`) of the output file plus the `--learn-from` files.

The app calls these from worker threads (the save worker after a line is on disk, a worker at
launch) while the suggest worker reads the memory: every change takes `lock`, and the suggest
worker must hold it too while the chain runs. The lock may be shared with the app's own (the one
it holds around its chain), and is re-entrant.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from annotations.records import ArticleKey, Record
from annotations.suggest.memory import Key, Memory


class Learning:
    def __init__(self, memory: Memory, lock: Any = None) -> None:
        self.memory = memory
        self.lock = lock if lock is not None else threading.RLock()
        # changes made while `rebuild` builds a fresh memory outside the lock, replayed on it
        self._journal: list[tuple[Record | None, Key]] | None = None

    def decided(self, record: Record) -> None:
        """A decision was saved: it replaces what the article taught before (a reject or an
        ignore leaves it nothing)."""
        with self.lock:
            self._apply(record, record.key)

    def undone(self, annotator: str | None, article: ArticleKey, previous: Record | None) -> None:
        """A decision was undone: the article (`Record.article_key`) teaches its previous saved
        decision again, or nothing when it had none."""
        with self.lock:
            self._apply(previous, (annotator, article))

    def rebuild(self, records: Iterable[Record]) -> None:
        """At launch (in a worker): the memory becomes what `records` teach, for each article the
        latest line winning (the output file's records of this annotator, then the
        `--learn-from` files'). Decisions made meanwhile are kept: they are later than any line
        read here. Suggestions wait for the lock only while the result is swapped in."""
        with self.lock:
            self._journal = []
        try:
            fresh = Memory().learn_all(records)
        except BaseException:
            with self.lock:
                self._journal = None
            raise
        with self.lock:
            for record, key in self._journal or ():
                _teach(fresh, record, key)
            self._journal = None
            self.memory.take(fresh)

    def _apply(self, record: Record | None, key: Key) -> None:
        _teach(self.memory, record, key)
        if self._journal is not None:
            self._journal.append((record, key))


def _teach(memory: Memory, record: Record | None, key: Key) -> None:
    if record is None or record.key != key:
        memory.forget(key)
    if record is not None:
        memory.learn(record)
