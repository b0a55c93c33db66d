"""`?`: every key, generated from the one registry of commands, plus the label keys; the keys shown
are the active ones (after the user's keymap)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from annotations.labels import LabelScheme
from annotations.text_safety import safe_text
from tui.commands import COMMANDS
from tui.keymap import key_displays


def help_table(scheme: LabelScheme, keys: Mapping[str, str] | None = None) -> Table:
    """`keys`: how each binding id's active keys are shown (`tui.keymap.key_displays`); without
    it, the registry's defaults."""
    shown = keys or {}
    table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    group = None
    for command in COMMANDS:
        if command.group != group:
            group = command.group
            table.add_row(Text(group, style="underline"), "")
        table.add_row(Text(safe_text(shown.get(command.id, command.display))), command.title)
        if command.name == "accept_span":
            label_keys = [
                safe_text(shown.get(f"relecture.label_{x.key}", x.key)) for x in scheme.labels
            ]
            labels = Text(
                "Label the selection, relabel the span under the cursor, or label the token: "
            )
            for label, key in zip(scheme.labels, label_keys, strict=True):
                labels.append(f"{key} {safe_text(label.name)} ", style=label.colour)
            table.add_row(Text("/".join(label_keys)), labels)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,question_mark,q", "app.pop_screen", "Close")]

    def __init__(self, scheme: LabelScheme) -> None:
        super().__init__()
        self.scheme = scheme

    def compose(self) -> ComposeResult:
        intro = Text.assemble(
            ("relecture", "bold"),
            " — review the suggested spans, fix them, submit. Every decision is saved at once;"
            " pending suggestions count as accepted when you submit. Shift+←/→ selects tokens,"
            " a label key makes the selection a span. Esc closes this help.\n",
        )
        with VerticalScroll(id="help"):
            yield Static(intro)
            yield Static(help_table(self.scheme, key_displays(self.app)))
