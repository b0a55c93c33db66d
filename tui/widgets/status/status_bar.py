"""The status line: annotator, article n/N, reviewed count, spans per label, the model's state;
and the label legend with keys and colours. Plain `Text`: nothing from an article is markup."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.widget import Widget

from annotations.labels import LabelScheme
from annotations.review.state import ArticleState


class Line(Widget):
    """One line of `Text`. Updating it repaints the line only: no layout pass (a `Static`'s
    `update` asks for one, which costs a whole screen layout on every key)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text()

    def update(self, text: Text) -> None:
        if text != self.text:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return self.text


class StatusBar(Line):
    def show(
        self,
        annotator: str,
        index: int,
        total: int,
        reviewed: int,
        state: ArticleState,
        scheme: LabelScheme,
        model: str,
        note: str = "",
    ) -> None:
        counts = Counter(s.label for s in state.spans if s.live)
        text = Text.assemble(
            (f" {annotator} ", "bold reverse"),
            f"  article {index + 1}/{total}",
            f"  reviewed {reviewed}",
            f"  {state.answer or 'in progress'}",
            "  ",
        )
        for label in scheme.labels:
            if counts[label.name]:
                text.append(f"{label.name} {counts[label.name]} ", style=label.colour)
        text.append(f"  model: {model}", style="dim")
        if note:
            text.append(f"  {note}", style="italic")
        self.update(text)


class LabelLegend(Line):
    def show(self, scheme: LabelScheme) -> None:
        text = Text()
        for label in scheme.labels:
            text.append(f" {label.key} ", style="bold reverse")
            text.append(f" {label.name} ", style=f"bold {label.colour}")
        text.append("   ? all keys", style="dim")
        self.update(text)
