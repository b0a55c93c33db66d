"""The one-line prompt under the article (go to article, search, filter), shown while it is open.

It is not a screen of its own: the app hands it the keys in the order they arrive, in the same
step that opened it, so `g 5 Enter` typed in one burst always reaches it and the keys after the
Enter go back to the article (a modal screen opened by `g` would have missed the keys already on
their way, and the ones after its Enter while it closed)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from annotations.text_safety import safe_text


@dataclass
class OpenPrompt:
    kind: str  # "go", "search" or "filter"
    title: str
    text: str = ""
    choices: dict[str, str] | None = None  # key -> value, for a choice (the filter)


class PromptLine(Widget):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text()

    def render(self) -> Text:
        return self.text

    def show(self, prompt: OpenPrompt | None) -> None:
        self.set_class(prompt is not None, "-open")
        if prompt is None:
            self.text = Text()
            self.refresh()
            return
        text = Text.assemble(
            (f" {safe_text(prompt.title)} ", "bold reverse"), " ", safe_text(prompt.text)
        )
        if prompt.choices is None:
            text.append("▏", style="blink")
            text.append("   Enter: go · Esc: cancel", style="dim")
        self.text = text
        self.refresh()
