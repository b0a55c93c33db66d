"""What each annotator said about the span or disagreement under the cursor, and the article's
agreement: the curator's evidence, beside the span list. Plain `Text`: nothing from data is
markup, every data string drawn through `safe`."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from annotations.curation.session import Explanation
from annotations.text_safety import safe_text as safe

ANSWER_WORDS = {"reject": "rejected the article", "ignore": "ignored the article"}


class VotesPanel(Widget):
    COMPONENT_CLASSES = {"votes--title", "votes--annotator", "votes--nothing", "votes--excluded"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""
        self.name_shown = ""
        self.explanation: Explanation | None = None
        self.open = 0
        self.colours: dict[str, str] = {}

    def show(
        self,
        name: str,
        text: str,
        explanation: Explanation | None,
        open_here: int,
        colours: dict[str, str],
        annotators: int,
    ) -> None:
        """`name`: the article's name; `annotators`: how many rows to make room for."""
        height = annotators + 4  # the title, the text, a row each, the border
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height  # a layout only when the count changes
        now = (name, text, explanation, open_here)
        if now != (self.name_shown, self.text, self.explanation, self.open):
            self.name_shown, self.text, self.explanation, self.open = now
            self.colours = colours
            self.refresh()

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component, partial=True)

    def render(self) -> Text:
        out = Text(no_wrap=True, overflow="ellipsis")
        e = self.explanation
        f1 = "" if e is None or e.f1 is None else f" · F1 {e.f1:.2f}"
        title = f"{safe(self.name_shown)}{f1} · {self.open} open\n"
        out.append(title, self._style("votes--title"))
        if e is None:
            out.append("(no span or disagreement under the cursor)", self._style("votes--nothing"))
            return out
        out.append(f"«{safe(self.text[e.start : e.end])}»\n")
        width = max((len(safe(s.annotator)) for s in e.said), default=0)
        for n, said in enumerate(e.said):
            out.append(safe(said.annotator).ljust(width), self._style("votes--annotator"))
            out.append("  ")
            if not said.counted:
                word = ANSWER_WORDS.get(said.answer or "", "not counted")
                out.append(word, self._style("votes--excluded"))
            elif not said.spans:
                out.append("nothing", self._style("votes--nothing"))
            else:
                for k, (start, end, label) in enumerate(said.spans):
                    out.append(" · " if k else "")
                    out.append(safe(label), self.colours.get(label, ""))
                    out.append(f" «{safe(self.text[start:end])}»")
            if n < len(e.said) - 1:
                out.append("\n")
        return out
