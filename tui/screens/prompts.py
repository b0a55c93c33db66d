"""Small modal prompts: go to article, search the text, choose a filter.

Keys typed in one burst with the key that opened a prompt (`g 5 Enter` sent at once) reach the
prompt before its input has focus; the prompt takes them itself, in order, so none is lost."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

from annotations.review.session import FILTERS


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

    def on_key(self, event: events.Key) -> None:
        # A printable key the input took never gets here (it stops it); one sent to this
        # screen before the input had focus does, whatever has focus by now: it goes in. Enter,
        # Escape and Backspace are the input's or this screen's bindings: done here the same.
        box = self.query_one(Input)
        if event.key == "enter":
            self.dismiss(box.value)
        elif event.key == "escape":
            self.dismiss(None)
        elif event.key == "backspace":
            box.action_delete_left()
        elif event.is_printable and event.character:
            box.insert_text_at_cursor(event.character)
        else:
            return
        event.stop()
        event.prevent_default()

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

    def on_key(self, event: events.Key) -> None:
        options = self.query_one(OptionList)
        if options.has_focus:
            return
        event.stop()
        event.prevent_default()
        if event.key == "escape":
            self.dismiss(None)
        elif event.key in ("up", "down", "enter"):
            options.focus()
            options.post_message(events.Key(event.key, None))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(list(FILTERS)[event.option_index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
