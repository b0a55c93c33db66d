"""The spans of the article beside it (label, text, status, source, score), one line each, the
span under the cursor highlighted and kept in view. A Line-API view: no widget per span."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotations.curation.candidates import votes_in
from annotations.labels import LabelScheme
from annotations.records import Record
from annotations.review.state import ArticleState, ReviewSpan
from annotations.text_safety import glyph, is_plain, safe_text
from tui.widgets.scroll_indicator import cell, thumb

CURRENT = Style(reverse=True)
DIM = Style(color="#7f848e")
MIN_TEXT = 12  # cells of span text kept before the source and score columns make way


def literal(text: str, width: int) -> str:
    """The span text on one line, drawn safely, cut to `width` cells."""
    if is_plain(text):
        return text if len(text) <= width else text[: width - 1] + "…"
    out, cells = [], 0
    total = sum(glyph(ch if ch != "\n" else " ")[1] for ch in text)
    for ch in text:
        drawn, w, _ = glyph(ch if ch != "\n" else " ")
        if total > width and cells + w > width - 1:
            out.append("…")
            break
        out.append(drawn)
        cells += w
    return "".join(out)


class SpanList(ScrollView, can_focus=False):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.spans: tuple[ReviewSpan, ...] = ()
        self.current: int | None = None
        self.voters = 0  # curation: the counted annotators of the article (see _source)
        self.record: Record | None = None
        self.colours: dict[str, str] = {}
        self._label_width = 7
        self._strips: dict[tuple[ReviewSpan, bool, int, Segment], Strip] = {}
        self._base: Style | None = None

    def show(
        self, record: Record, state: ArticleState, scheme: LabelScheme, current: ReviewSpan | None
    ) -> None:
        if state.spans != self.spans or record is not self.record:
            if record is not self.record:
                self._strips.clear()  # same spans in another text are other rows
                self._base = None
            self.spans, self.record = state.spans, record
            self.colours = {label.name: label.colour for label in scheme.labels}
            # the label column fits the scheme's longest name (PERCENT), within reason
            self._label_width = min(
                max((len(label.name) for label in scheme.labels), default=5), 12
            )
            self.virtual_size = Size(self.size.width, len(self.spans))
            self.refresh()
        index = self.spans.index(current) if current is not None and current in self.spans else None
        if index != self.current:
            self.current = index
            self.refresh()
            if index is not None:
                self.scroll_to_region(self._line_region(index), animate=False)

    def _line_region(self, index: int):  # type: ignore[no-untyped-def]
        from textual.geometry import Region

        return Region(0, index, 1, 1)

    def render_line(self, y: int) -> Strip:
        top = int(self.scroll_offset.y)
        index = y + top
        width = self.size.width
        indicator = cell(y, thumb(top, self.size.height, len(self.spans)), self._background())
        if self.record is None or index >= len(self.spans):
            return Strip([*Strip.blank(width - 1, self._background()), indicator], width)
        key = (self.spans[index], index == self.current, width, indicator)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 4096:
                self._strips.clear()
            row = self._render_row(index, width - 1)  # the last column: the scroll indicator
            strip = self._strips[key] = Strip([*row, indicator], width)
        return strip

    def set_voters(self, n: int) -> None:
        if n != self.voters:
            self.voters = n
            self._strips.clear()
            self.refresh()

    def _source(self, source: str | None) -> str:
        """The source column: the suggester's kind (`model`, `rules`...), `you`; in curation,
        how many of the counted annotators gave the span (`3/4`)."""
        if source is None:
            return "you"
        votes = votes_in(source)
        if votes and self.voters:
            return f"{votes}/{self.voters}"
        return safe_text(source.split(":")[0])

    def _render_row(self, index: int, width: int) -> Strip:
        span = self.spans[index]
        assert self.record is not None
        tokens = self.record.tokens or []
        text = self.record.text[tokens[span.token_start].start : tokens[span.token_end].end]
        source = self._source(span.source)
        score = f"{span.score:.2f}" if span.score is not None else ""
        if self.voters:  # curation: the votes matter most, the status goes first
            columns = [f" {source:<5}", f" {span.status.value:<8}"]
        else:
            columns = [f" {span.status.value:<8}", f" {source:<8}", f" {score:>4}"]
        lw = self._label_width + 2  # a space each side
        while len(columns) > 1 and width - lw - sum(map(len, columns)) < MIN_TEXT:
            columns.pop()  # a narrow list: the score goes first, then the source
        tail = "".join(columns)
        name_width = max(width - len(tail) - lw, 4)
        base = CURRENT if index == self.current else Style()
        background = self._background()
        segments = [
            Segment(
                f" {literal(span.label, lw - 2):<{lw - 2}} ",
                base + Style(color=self.colours.get(span.label), bold=True),
            ),
            Segment(f"{literal(text, name_width):<{name_width}}", base),
            Segment(tail, base + DIM),
        ]
        return Strip(segments).apply_style(background).adjust_cell_length(width, background)

    def _background(self) -> Style:
        if self._base is None:
            self._base = self.rich_style  # costly to compute: once per article
        return self._base
