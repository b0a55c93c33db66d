"""The article as one Line-API view: spans coloured by label (pending suggestions underlined,
decided ones filled, rejected ones struck through), the token cursor and the selection, long
lines wrapped. Strips are cached per screen line; a change repaints only the lines it touches."""

from __future__ import annotations

import bisect
import itertools
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotations.labels import LabelScheme
from annotations.records import Record
from annotations.review.state import ArticleState, Status
from annotations.text_safety import glyph, is_plain
from tui.widgets.article.layout import Layout, wrap
from tui.widgets.scroll_indicator import cell, thumb

BASE = Style()
STAND_IN = Style(dim=True)
SELECTION = Style(bgcolor="#3e4451", underline=True)
CURSOR = Style(reverse=True, bold=True)


@lru_cache(maxsize=128)
def span_style(colour: str, status: Status) -> Style:
    if status is Status.REJECTED:
        return Style(color="#7f848e", strike=True, dim=True)
    if status is Status.PENDING:
        return Style(color=colour, underline=True, bold=True)
    return Style(color="#1e1e1e", bgcolor=colour, bold=status is not Status.ACCEPTED)


Ranges = tuple[tuple[int, int, Style], ...]


class ArticleView(ScrollView, can_focus=True, inherit_bindings=False):
    """Draws `record` with `state`; the review screen calls `show()` after every change."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.record: Record | None = None
        self.state = ArticleState()
        self.scheme: LabelScheme | None = None
        self._layout: Layout | None = None
        self._layout_key: tuple[int, int] = (0, 0)
        self._ranges: Ranges = ()
        self._range_starts: list[int] = []
        self._cursor = (0, 0)
        self._selection: tuple[int, int] | None = None
        self._cache: dict[
            int, Strip
        ] = {}  # text strips, one per screen line, without the indicator
        self._drawn: dict[tuple[int, object], Strip] = {}  # (line, indicator cell) -> strip
        self._layouts: dict[tuple[int, int], tuple[Record, Layout]] = {}  # a few recent wraps
        self._base: Style | None = None  # the widget's own style (costly to look up per line)
        self._goal: tuple[int, int] | None = None  # (token, column) of a run of ↑/↓ moves
        self._starts: list[int] = []
        self._starts_key = 0

    # -- what to show ----------------------------------------------------------------------
    def show(self, record: Record, state: ArticleState, scheme: LabelScheme) -> None:
        new_article = record is not self.record
        self.record, self.scheme = record, scheme
        old = (self._ranges, self._cursor, self._selection)
        self.state = state
        self._compute_ranges()
        if new_article or self._layout is None:
            self._base = None
            self._relayout()
            self.scroll_to(0, 0, animate=False)
            self._forget()
            self.refresh()
        else:
            self._refresh_changed(*old)
        self._keep_cursor_visible()

    def _compute_ranges(self) -> None:
        record, scheme = self.record, self.scheme
        assert record is not None and scheme is not None
        tokens = record.tokens or []
        colours = {label.name: label.colour for label in scheme.labels}
        ranges = []
        for s in self.state.spans:
            style = span_style(colours.get(s.label, "#abb2bf"), s.status)
            ranges.append((tokens[s.token_start].start, tokens[s.token_end].end, style))
        self._ranges = tuple(sorted(ranges, key=lambda r: r[0]))
        self._range_starts = [r[0] for r in self._ranges]
        if tokens:
            cur = tokens[min(self.state.cursor, len(tokens) - 1)]
            self._cursor = (cur.start, cur.end)
        else:
            self._cursor = (0, 0)
        sel = self.state.selection
        self._selection = (tokens[sel[0]].start, tokens[sel[1]].end) if sel and tokens else None

    def _text_width(self) -> int:
        # exactly the pane, less its last column (the scroll indicator)
        return max(self.scrollable_content_region.width - 1, 1)

    def prepare(self, record: Record) -> None:
        """Wrap an article ahead of time (the next one, while this one is read)."""
        self._wrapped(record, self._text_width())

    def _wrapped(self, record: Record, width: int) -> Layout:
        key = (id(record), width)
        hit = self._layouts.get(key)
        if hit is not None and hit[0] is record:
            return hit[1]
        if len(self._layouts) >= 8:
            del self._layouts[next(iter(self._layouts))]
        layout = wrap(record.text, width)
        self._layouts[key] = (record, layout)
        return layout

    def _relayout(self) -> None:
        assert self.record is not None
        width = self._text_width()
        self._layout = self._wrapped(self.record, width)
        self._layout_key = (id(self.record), width)
        self.virtual_size = Size(width, len(self._layout))

    def on_resize(self) -> None:
        self._base = None
        self._goal = None
        if self.record is not None:
            self._relayout()
            self._forget()
            self.refresh()
            self.call_after_refresh(self._keep_cursor_visible)  # the view follows the cursor

    def _forget(self, line: int | None = None) -> None:
        """Drop the cached strips of one screen line, or of all."""
        if line is None:
            self._cache.clear()
            self._drawn.clear()
            return
        self._cache.pop(line, None)
        for key in [k for k in self._drawn if k[0] == line]:
            del self._drawn[key]

    def _lines_of(self, a: int, b: int) -> range:
        assert self._layout is not None
        return range(self._layout.line_of(a), self._layout.line_of(max(a, b - 1)) + 1)

    def _refresh_changed(
        self, ranges: Ranges, cursor: tuple[int, int], selection: tuple[int, int] | None
    ) -> None:
        changed: set[int] = set()
        for a, b, _style in set(ranges) ^ set(self._ranges):
            changed.update(self._lines_of(a, b))
        if cursor != self._cursor:
            changed.update(self._lines_of(*cursor))
            changed.update(self._lines_of(*self._cursor))
        if selection != self._selection:
            for sel in (selection, self._selection):
                if sel:
                    changed.update(self._lines_of(*sel))
        top = int(self.scroll_offset.y)
        for line in changed:
            self._forget(line)
            if top <= line < top + self.size.height:
                self.refresh(Region(0, line - top, self.size.width, 1))

    def _keep_cursor_visible(self) -> None:
        """Scroll as little as needed for the cursor's line to be on screen."""
        if self._layout is None:
            return
        line = self._layout.line_of(self._cursor[0])
        top = int(self.scroll_offset.y)
        height = max(self.size.height, 1)
        if line < top:
            self.scroll_to(y=line, animate=False, immediate=True)
        elif line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)

    # -- cursor geometry (↑/↓, PgUp/PgDn, Home/End) ------------------------------------------
    def _column_of(self, offset: int) -> int:
        """The screen column (cells) of a text offset on its line."""
        assert self._layout is not None and self.record is not None
        text = self.record.text
        line = self._layout.line_of(offset)
        return sum(glyph(text[k])[1] for k in range(self._layout.starts[line], offset))

    def _tokens_on(self, line: int) -> list[int]:
        """The non-blank tokens that start on a screen line (in order)."""
        assert self._layout is not None and self.record is not None
        tokens = self.record.tokens or []
        a, b = self._layout.starts[line], self._layout.ends[line]
        i = bisect.bisect_left(self._token_starts(), a)
        out = []
        while i < len(tokens) and tokens[i].start < b:
            if tokens[i].text.strip():
                out.append(i)
            i += 1
        return out

    def _token_starts(self) -> list[int]:
        record = self.record
        assert record is not None
        key = id(record.tokens)
        if self._starts_key != key:
            self._starts = [t.start for t in record.tokens or ()]
            self._starts_key = key
        return self._starts

    def token_at_line(self, delta: int, cursor: int) -> int | None:
        """The token `delta` screen lines above (<0) or below (>0) the cursor token, nearest the
        column the vertical move started from; lines without a token (blank lines) are passed
        over. At either end of the article the move stops on the first or last line with a
        token. None when the cursor cannot move."""
        if self._layout is None or self.record is None or not self.record.tokens:
            return None
        tokens = self.record.tokens
        cursor = min(max(cursor, 0), len(tokens) - 1)
        if self._goal is None or self._goal[0] != cursor:
            self._goal = (cursor, self._column_of(tokens[cursor].start))
        goal = self._goal[1]
        here = self._layout.line_of(tokens[cursor].start)
        step = 1 if delta > 0 else -1
        target = max(0, min(here + delta, len(self._layout) - 1))
        candidates = self._tokens_on(target)
        line = target
        while not candidates and 0 <= line + step < len(self._layout):
            line += step
            candidates = self._tokens_on(line)
        line = target
        while not candidates and 0 <= line - step < len(self._layout) and line - step != here:
            line -= step  # nothing further that way: the last line with a token
            candidates = self._tokens_on(line)
        if not candidates:
            return None
        best = min(
            candidates,
            key=lambda t: (
                0
                if self._column_of(tokens[t].start) <= goal < self._column_of(tokens[t].end)
                else 1,
                abs(self._column_of(tokens[t].start) - goal),
            ),
        )
        self._goal = (best, goal)
        return best

    def token_at_line_edge(self, cursor: int, end: bool) -> int | None:
        """The first (Home) or last (End) token on the cursor's screen line."""
        if self._layout is None or self.record is None or not self.record.tokens:
            return None
        tokens = self.record.tokens
        cursor = min(max(cursor, 0), len(tokens) - 1)
        on_line = self._tokens_on(self._layout.line_of(tokens[cursor].start))
        if not on_line:
            return None
        return on_line[-1] if end else on_line[0]

    def scroll_lines(self, delta: int) -> None:
        """Scroll the text by `delta` screen lines, no further than its ends."""
        top = int(self.scroll_offset.y) + delta
        self.scroll_to(y=max(0, min(top, int(self.max_scroll_y))), animate=False, immediate=True)

    @property
    def page(self) -> int:
        """Screen lines a PgUp/PgDn moves by (one less than the height: a line of context)."""
        return max(self.size.height - 1, 1)

    # -- drawing -------------------------------------------------------------------------------
    @property
    def base_style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def render_line(self, y: int) -> Strip:
        top = int(self.scroll_offset.y)
        line = y + top
        width = self.size.width
        if self._layout is None:
            return Strip.blank(width, self.base_style)
        indicator = cell(y, thumb(top, self.size.height, len(self._layout)), self.base_style)
        key = (line, indicator)
        drawn = self._drawn.get(key)
        if drawn is None:
            if len(self._drawn) > 4096:
                self._drawn.clear()
            if line >= len(self._layout):
                text = Strip.blank(width - 1, self.base_style)
            else:
                cached = self._cache.get(line)
                if cached is None:
                    cached = self._render_screen_line(line)
                    cached = cached.adjust_cell_length(width - 1, self.base_style)
                    self._cache[line] = cached
                text = cached
            drawn = self._drawn[key] = Strip([*text, indicator], width)
        return drawn

    def _style_at(self, offset: int) -> Style:
        style = BASE
        k = max(0, bisect.bisect_right(self._range_starts, offset) - 1)
        while k > 0 and self._ranges[k - 1][1] > offset:
            k -= 1
        live = False
        while k < len(self._ranges) and self._ranges[k][0] <= offset:
            if offset < self._ranges[k][1]:
                span = self._ranges[k][2]
                # a live span always wins over a rejected (struck) suggestion it overlaps
                if not (live and span.strike):
                    style, live = span, not span.strike
            k += 1
        if self._selection and self._selection[0] <= offset < self._selection[1]:
            style = style + SELECTION
        if self._cursor[0] <= offset < self._cursor[1]:
            style = style + CURSOR
        return style

    def _render_screen_line(self, line: int) -> Strip:
        """Runs of one style between the points where a span, the cursor or the selection
        starts or ends; characters that need a stand-in are drawn one by one."""
        assert self._layout is not None and self.record is not None
        text = self.record.text
        start, end = self._layout.starts[line], self._layout.ends[line]
        points = {start, end, *self._cursor, *(self._selection or ())}
        k = max(0, bisect.bisect_right(self._range_starts, start) - 1)
        while k > 0 and self._ranges[k - 1][1] > start:
            k -= 1
        while k < len(self._ranges) and self._ranges[k][0] < end:
            points.update(self._ranges[k][:2])
            k += 1
        cuts = sorted(p for p in points if start <= p <= end)
        segments: list[Segment] = []
        for a, b in itertools.pairwise(cuts):
            if a == b:
                continue
            style = self._style_at(a)
            piece = text[a:b]
            if is_plain(piece):
                segments.append(Segment(piece, style))
                continue
            for ch in piece:
                drawn, _width, stand_in = glyph(ch)
                segments.append(Segment(drawn, style + STAND_IN if stand_in else style))
        if self._cursor[0] == end and self._cursor[1] > end and start <= self._cursor[0]:
            segments.append(Segment(" ", CURSOR))  # cursor on a line break
        return Strip(segments).apply_style(self.base_style)
