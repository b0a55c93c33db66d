"""A sequence whose items are built on first use and kept (`_build(i)` says how)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class Lazy(Sequence[T]):
    def __init__(self) -> None:
        self._built: dict[int, T] = {}

    def _build(self, i: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[T]: ...
    def __getitem__(self, i: int | slice) -> T | Sequence[T]:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        if i not in self._built:
            self._built[i] = self._build(i)
        return self._built[i]

    def __iter__(self) -> Iterator[T]:
        return (self[i] for i in range(len(self)))
