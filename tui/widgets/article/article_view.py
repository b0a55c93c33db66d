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
from tui.widgets.article.layout import Layout, glyph, is_plain, wrap
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


class ArticleView(ScrollView, can_focus=True):
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
        if self.record is not None:
            self._relayout()
            self._forget()
            self.refresh()

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
        if self._layout is None:
            return
        line = self._layout.line_of(self._cursor[0])
        top = int(self.scroll_offset.y)
        height = max(self.size.height, 1)
        if not top <= line < top + height:
            self.scroll_to(y=max(0, line - height // 3), animate=False)

    # -- cursor geometry (for ↑/↓) ---------------------------------------------------------
    def token_on_adjacent_line(self, delta: int) -> int | None:
        """The token nearest the cursor's column on the screen line above (-1) or below (+1)."""
        if self._layout is None or self.record is None or not self.record.tokens:
            return None
        layout, text, tokens = self._layout, self.record.text, self.record.tokens
        line = layout.line_of(self._cursor[0])
        target = line + delta
        if not 0 <= target < len(layout):
            return None
        column = sum(glyph(text[k])[1] for k in range(layout.starts[line], self._cursor[0]))
        offset, cells = layout.starts[target], 0
        while offset < layout.ends[target] and cells + glyph(text[offset])[1] <= column:
            cells += glyph(text[offset])[1]
            offset += 1
        starts = [t.start for t in tokens]
        i = max(0, bisect.bisect_right(starts, offset) - 1)
        while i < len(tokens) - 1 and (
            not tokens[i].text.strip() or tokens[i].end <= layout.starts[target]
        ):
            i += 1
        return i

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
                text = self._cache.get(line)
                if text is None:
                    text = self._render_screen_line(line)
                    text = text.adjust_cell_length(width - 1, self.base_style)
                    self._cache[line] = text
            drawn = self._drawn[key] = Strip([*text, indicator], width)
        return drawn

    def _style_at(self, offset: int) -> Style:
        style = BASE
        k = max(0, bisect.bisect_right(self._range_starts, offset) - 1)
        while k > 0 and self._ranges[k - 1][1] > offset:
            k -= 1
        while k < len(self._ranges) and self._ranges[k][0] <= offset:
            if offset < self._ranges[k][1]:
                style = self._ranges[k][2]
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
