"""The status line (what the annotator must know now first: the last message, unsaved changes,
suggesters still coming; then the article, its answer, the model, the last save...) fitted to the
width; and the label legend with keys and colours. Plain `Text`: nothing from data is markup."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from annotations.labels import LabelScheme
from annotations.review.status import StatusInfo
from annotations.text_safety import safe_text
from tui.widgets.status.fit import Form, Part, fit

StyleOf = Callable[[str], Style]


def words_forms(text: str, style: Style) -> tuple[Form, ...]:
    """The whole text, then fewer and fewer of its first words followed by an ellipsis."""
    words = text.split(" ")
    forms: list[Form] = [((text, style),)]
    for n in range(len(words) - 1, 0, -1):
        head = " ".join(words[:n]).rstrip()
        if head:
            forms.append(((head + "…", style),))
    return tuple(forms)


# priorities: 0 is shown first, the last to go when the line is too narrow
NOTE, URGENT, ARTICLE, ANSWER, MODEL, SAVED, TRAINING, FILTER, REVIEWED, ANNOTATOR, COUNTS = range(
    11
)


def status_parts(
    info: StatusInfo, style_of: StyleOf, colours: dict[str, str] | None = None
) -> list[Part]:
    """The parts of the status line in display order, each with its priority and forms."""
    colours = colours or {}

    def one(priority: int, component: str, *forms: str) -> Part:
        style = style_of(component)
        return Part(priority, tuple(((form, style),) for form in forms))

    answer = safe_text(info.answer) if info.answer is not None else None
    parts = [
        one(ANNOTATOR, "status--annotator", f" {safe_text(info.annotator)} "),
        one(
            ARTICLE,
            "status--article",
            f"article {info.index + 1}/{info.total}",
            f"{info.index + 1}/{info.total}",
        ),
    ]
    if info.changed:
        since = f"changed since {answer}" if answer else "changed"
        parts.append(one(URGENT, "status--changed", f"{since} · Space/r/i saves", since, "changed"))
    else:
        parts.append(one(ANSWER, "status--answer", answer or "in progress"))
    parts.append(
        one(REVIEWED, "status--reviewed", f"reviewed {info.reviewed}", f"✓{info.reviewed}")
    )
    if info.filter != "all":
        name = safe_text(info.filter)
        parts.append(one(FILTER, "status--filter", f"filter: {name}", name))
    if info.counts:
        parts.append(Part(COUNTS, count_forms(info.counts, colours)))
    model_component = "status--model-failed" if info.model == "failed" else "status--model"
    if info.model == "ready" and info.model_label:
        label = safe_text(info.model_label)
        parts.append(one(MODEL, model_component, f"model {label}", label))
    else:
        parts.append(one(MODEL, model_component, f"model: {safe_text(info.model)}"))
    if info.training:
        forms = words_forms(safe_text(info.training), style_of("status--training"))
        parts.append(Part(TRAINING, forms))
    if info.waiting:
        names = ", ".join(safe_text(name) for name in info.waiting)
        parts.append(one(URGENT, "status--waiting", f"suggesting: {names}…", "suggesting…"))
    if info.held:
        keys = "key" if info.held == 1 else "keys"
        parts.append(
            one(URGENT, "status--held", f"{info.held} {keys} waiting", f"{info.held} {keys}")
        )
    if info.saved_at is not None:
        at = time.strftime("%H:%M:%S", time.localtime(info.saved_at))
        parts.append(one(SAVED, "status--saved", f"saved {at}", "saved"))
    if info.note:
        parts.append(Part(NOTE, words_forms(safe_text(info.note), style_of("status--note"))))
    return parts


def count_forms(counts: tuple[tuple[str, int], ...], colours: dict[str, str]) -> tuple[Form, ...]:
    """Every label's count; then the first labels' and an ellipsis; then the total."""
    pieces: list[tuple[str, Style | str]] = []
    for name, n in counts:
        pieces += [(" ", ""), (f"{safe_text(name)} {n}", colours.get(name, ""))]
    pieces = pieces[1:]  # no space before the first
    forms: list[Form] = [tuple(pieces)]
    for k in range(len(counts) - 1, 0, -1):
        forms.append((*pieces[: 2 * k - 1], (" …", "")))
    total = sum(n for _name, n in counts)
    forms.append(((f"{total} span" + ("" if total == 1 else "s"), ""),))
    return tuple(forms)


class StatusBar(Widget):
    """`show(info)` on every change; the line is fitted to the widget's width when drawn."""

    COMPONENT_CLASSES = {
        "status--annotator",
        "status--article",
        "status--answer",
        "status--changed",
        "status--reviewed",
        "status--filter",
        "status--model",
        "status--model-failed",
        "status--training",
        "status--waiting",
        "status--held",
        "status--saved",
        "status--note",
    }

    def __init__(self, scheme: LabelScheme | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.info: StatusInfo | None = None
        self.colours = {label.name: label.colour for label in scheme.labels} if scheme else {}
        self._styles: dict[str, Style] = {}

    def show(self, info: StatusInfo) -> None:
        if info != self.info:
            self.info = info
            self.refresh()

    def _style_of(self, component: str) -> Style:
        # kept until the CSS changes: Textual forgets component styles on every refresh, and
        # looking one up costs ~0.1 ms (a dozen per line)
        style = self._styles.get(component)
        if style is None:
            style = self._styles[component] = self.get_component_rich_style(component, partial=True)
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()  # a theme or CSS change

    def render(self) -> Text:
        if self.info is None:
            return Text()
        return fit(status_parts(self.info, self._style_of, self.colours), self.size.width)


class LabelLegend(Widget):
    """The label keys and colours: spaced out when there is room, packed when not."""

    COMPONENT_CLASSES = {"legend--key", "legend--hint"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scheme: LabelScheme | None = None

    def show(self, scheme: LabelScheme) -> None:
        if scheme != self.scheme:
            self.scheme = scheme
            self.refresh()

    def render(self) -> Text:
        if self.scheme is None:
            return Text()
        key_style = self.get_component_rich_style("legend--key", partial=True)
        hint_style = self.get_component_rich_style("legend--hint", partial=True)
        wide = Text()
        packed = Text()
        for label in self.scheme.labels:
            key, name = safe_text(label.key), safe_text(label.name)
            wide.append(f" {key} ", style=key_style)
            wide.append(f" {name} ", style=f"bold {label.colour}")
            packed.append(key, style=key_style)
            packed.append(f"{name} ", style=f"bold {label.colour}")
        wide.append("   ? all keys", style=hint_style)
        packed.append(" ? keys", style=hint_style)
        if wide.cell_len <= self.size.width:
            return wide
        return packed
