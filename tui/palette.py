"""Ctrl+P: every command of the registry by name (plus "Label as PER"... for each label of the
scheme), with the keys it has now; choosing one runs its action on the review screen through
`run_action`, the path its key takes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content
from textual.screen import Screen

from annotations.text_safety import safe_text
from tui.commands import commands
from tui.keymap import key_displays
from tui.screens.review import ReviewScreen

if TYPE_CHECKING:
    from tui.app import RelectureApp

KEY_STYLE = "dim"


@dataclass(frozen=True, slots=True)
class Entry:
    title: str
    action: str
    keys: str  # the active keys, as shown


def entries(app: RelectureApp, mode: str) -> list[Entry]:
    """The registry's commands of the screen's mode in their order, then one "Label as X" per
    label of the scheme."""
    keys = key_displays(app)
    out = [Entry(c.title, c.action_name, safe_text(keys.get(c.id, ""))) for c in commands(mode)]
    for label in app.session.scheme.labels:
        keys_shown = safe_text(keys.get(f"relecture.label_{label.key}", ""))
        out.append(Entry(f"Label as {safe_text(label.name)}", f"label({label.key!r})", keys_shown))
    return out


def _runner(screen: Screen[object], action: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await screen.run_action(action)

    return run


def _prompt(entry: Entry, title: Content) -> Content:
    if not entry.keys:
        return title
    return Content.assemble(title, "  ", (entry.keys, KEY_STYLE))


def _highlight(matcher: Matcher, text: str) -> Content:
    """Textual's `Matcher.highlight` without reading `text` as markup (a title may hold `[`)."""
    content = Content(text)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class RelectureCommands(Provider):
    """relecture's commands, offered only over the review screen (they act on it)."""

    def _entries(self) -> list[Entry]:
        if not isinstance(self.screen, ReviewScreen):
            return []
        return entries(cast("RelectureApp", self.app), self.screen.MODE)

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(
                _prompt(entry, Content(entry.title)),
                _runner(self.screen, entry.action),
                text=entry.title,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(
                    score,
                    _prompt(entry, _highlight(matcher, entry.title)),
                    _runner(self.screen, entry.action),
                    text=entry.title,
                )
