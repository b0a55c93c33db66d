"""How a long pass says how far it is: `phase(name, total)` then `advance(done, items)`.

`done` counts toward `total` (bytes read, articles tokenised); `items` are what a person counts
(`unit`: records, articles), shown with their rate. The CLI draws a bar from it (`cli.bar`);
`Silent` is for tests and libraries.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def phase(self, name: str, total: int | None, unit: str = "records") -> None: ...

    def advance(self, done: int, items: int = 0) -> None: ...


class Silent:
    """Progress that shows nothing."""

    def phase(self, name: str, total: int | None, unit: str = "records") -> None:
        pass

    def advance(self, done: int, items: int = 0) -> None:
        pass
