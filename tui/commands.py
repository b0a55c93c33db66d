"""The one registry of user actions: key bindings, footer, help screen and command palette all
come from `COMMANDS`. Each binding has an id (`relecture.<name>`) so users can rebind it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # binding id suffix and action name on the review screen
    keys: str  # Textual key names, comma-separated
    title: str
    group: str
    display: str  # how the help screen shows the keys
    footer: bool = False
    action: str = ""  # defaults to `name`
    modes: tuple[str, ...] = ("annotate", "curate")  # the screens that have it
    curate_title: str = ""  # what it does when curating, when that differs

    @property
    def id(self) -> str:
        return f"relecture.{self.name}"

    @property
    def action_name(self) -> str:
        return self.action or self.name


MOVE, SPANS, ARTICLE, APP = "Move", "Spans", "Article", "App"
ANNOTATE, CURATE = "annotate", "curate"

COMMANDS: tuple[Command, ...] = (
    Command("cursor_left", "left", "Previous token", MOVE, "←"),
    Command("cursor_right", "right", "Next token", MOVE, "→"),
    Command("cursor_up", "up", "Line up", MOVE, "↑"),
    Command("cursor_down", "down", "Line down", MOVE, "↓"),
    Command("page_up", "pageup", "Page up", MOVE, "PgUp"),
    Command("page_down", "pagedown", "Page down", MOVE, "PgDn"),
    Command("line_start", "home", "Start of the line", MOVE, "Home"),
    Command("line_end", "end", "End of the line", MOVE, "End"),
    Command("article_start", "ctrl+home", "Start of the article", MOVE, "Ctrl+Home"),
    Command("article_end", "ctrl+end", "End of the article", MOVE, "Ctrl+End"),
    Command("select_left", "shift+left", "Extend the selection left", MOVE, "Shift+←"),
    Command("select_right", "shift+right", "Extend the selection right", MOVE, "Shift+→"),
    Command("next_span", "tab", "Next span", MOVE, "Tab", curate_title="Next open disagreement"),
    Command(
        "previous_span",
        "shift+tab",
        "Previous span",
        MOVE,
        "Shift+Tab",
        curate_title="Previous open disagreement",
    ),
    Command("clear_selection", "escape", "Clear the selection", MOVE, "Esc"),
    Command("next_pending", "full_stop", "Next pending suggestion", MOVE, "."),
    Command("accept_span", "enter,a", "Accept the span", SPANS, "Enter / a", footer=True),
    Command(
        "reject_span",
        "x,delete",
        "Reject the span (delete your own)",
        SPANS,
        "x / Del",
        footer=True,
    ),
    Command("start_left", "[", "Move the span's start one token left", SPANS, "["),
    Command("start_right", "]", "Move the span's start one token right", SPANS, "]"),
    Command("end_left", "{", "Move the span's end one token left", SPANS, "{"),
    Command("end_right", "}", "Move the span's end one token right", SPANS, "}"),
    Command(
        "cycle",
        "c",
        "Next alternative of the disagreement (then none of them)",
        SPANS,
        "c",
        footer=True,
        modes=(CURATE,),
    ),
    Command(
        "accept_all",
        "A",
        "Accept all pending suggestions",
        SPANS,
        "A",
        curate_title="Take the majority in every open disagreement",
    ),
    Command(
        "toggle_advance",
        "t",
        "Toggle: after accept/reject, go to the next pending suggestion",
        SPANS,
        "t",
    ),
    Command(
        "submit",
        "ctrl+enter,space",
        "Submit the article (pending count as accepted)",
        ARTICLE,
        "Space / Ctrl+Enter",
        footer=True,
        curate_title="Submit the gold article (once no disagreement is open)",
    ),
    Command("reject_article", "r", "Reject the article (unusable)", ARTICLE, "r"),
    Command("ignore_article", "i", "Ignore the article (skip, flagged)", ARTICLE, "i"),
    Command("next_article", "n", "Next article", ARTICLE, "n", footer=True),
    Command("previous_article", "p", "Previous article", ARTICLE, "p", footer=True),
    Command("go_to", "g", "Go to article…", ARTICLE, "g"),
    Command("search", "slash", "Search in the text…", ARTICLE, "/"),
    Command("filter", "f", "Filter articles…", ARTICLE, "f"),
    Command("undo", "u,ctrl+z", "Undo", APP, "u / Ctrl+Z", footer=True),
    Command("redo", "ctrl+y", "Redo", APP, "Ctrl+Y"),
    Command("help", "question_mark", "Help: all keys", APP, "?", footer=True),
    Command(
        "command_palette", "ctrl+p", "Command palette", APP, "Ctrl+P", action="app.command_palette"
    ),
    Command(
        "quit", "q", "Quit (everything is already saved)", APP, "q", footer=True, action="app.quit"
    ),
)

LABEL_KEYS = "123456789"


# Every binding of the review screen is a priority binding: it is matched when the key arrives,
# before the key travels to the focused widget. So the article view's own scrolling keys never
# take ↑/↓/PgUp/PgDn, and a key that opens a prompt (`g`) has done so before the next key of
# the same burst is looked at (`g 5 Enter` typed at once goes to the prompt).


def commands(mode: str = ANNOTATE) -> list[Command]:
    """The commands of a screen (`annotate` or `curate`), titled for it."""
    return [
        replace(c, title=c.curate_title) if mode == CURATE and c.curate_title else c
        for c in COMMANDS
        if mode in c.modes
    ]


def bindings(mode: str | None = ANNOTATE) -> list[Binding]:
    """The bindings of a screen; `None`: of every screen (what a keymap may rebind)."""
    chosen = list(COMMANDS) if mode is None else commands(mode)
    out = [
        Binding(
            c.keys,
            c.action_name,
            c.title,
            show=c.footer,
            id=c.id,
            key_display=c.display,
            priority=True,
        )
        for c in chosen
    ]
    out += [
        Binding(
            k, f"label({k})", f"Label {k}", show=False, id=f"relecture.label_{k}", priority=True
        )
        for k in LABEL_KEYS
    ]
    return out
