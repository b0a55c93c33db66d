"""The suggester interface: given records, return suggested spans for each, with provenance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from annotations.records import Record, Span


class Suggester(Protocol):
    """`source` names the provenance written in each span (`model:NAME`, `rules:money`, ...)."""

    name: str

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        """One list of spans per record, in order. Spans carry `label`, `source`, maybe `score`."""
        ...


class SuggesterError(Exception):
    """A suggester cannot be set up (missing model, bad patterns file): one line for the user."""
