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
from tui.commands import ANNOTATE, CURATE, commands
from tui.keymap import key_displays


def help_table(
    scheme: LabelScheme, keys: Mapping[str, str] | None = None, mode: str = ANNOTATE
) -> Table:
    """`keys`: how each binding id's active keys are shown (`tui.keymap.key_displays`); without
    it, the registry's defaults."""
    shown = keys or {}
    table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    group = None
    for command in commands(mode):
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


INTROS = {
    ANNOTATE: " — review the suggested spans, fix them, submit. Every decision is saved at once;"
    " pending suggestions count as accepted when you submit. Shift+←/→ selects tokens,"
    " a label key makes the selection a span. Esc closes this help.\n",
    CURATE: " review — make the gold version of each article from the annotators' versions."
    " Spans every annotator gave are accepted; every other one is pending, with its voters."
    " Tab goes to the next open disagreement, Enter accepts the span under the cursor (and"
    " rejects its alternatives), c cycles through them, A takes the majority everywhere;"
    " every key of the review screen still fixes spans. Space submits once nothing is open."
    " Esc closes this help.\n",
}


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,question_mark,q", "app.pop_screen", "Close")]

    def __init__(self, scheme: LabelScheme, mode: str = ANNOTATE) -> None:
        super().__init__()
        self.scheme = scheme
        self.mode = mode

    def compose(self) -> ComposeResult:
        intro = Text.assemble(("relecture", "bold"), INTROS[self.mode])
        with VerticalScroll(id="help"):
            yield Static(intro)
            yield Static(help_table(self.scheme, key_displays(self.app), self.mode))
