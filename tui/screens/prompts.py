"""Small modal prompts: go to article, search the text, choose a filter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

FILTERS = {
    "all": "All articles",
    "unreviewed": "Unreviewed",
    "flagged": "Flagged (ignored, to come back to)",
    "rejected": "Rejected articles",
}


class Prompt(ModalScreen[str | None]):
    """One line of input; Enter gives it back, Escape gives None."""

    BINDINGS = [("escape", "dismiss_none", "Cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Label(self.title_text)
            yield Input(value=self.value, placeholder=self.placeholder)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class FilterPrompt(ModalScreen[str | None]):
    BINDINGS = [("escape", "dismiss_none", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="prompt"):
            yield Label("Show which articles? (n / p move within them)")
            yield OptionList(*FILTERS.values())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(list(FILTERS)[event.option_index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
