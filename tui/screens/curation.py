"""The curation screen: the review screen over a `CurationSession`, with the annotators' votes
beside the spans. Tab / Shift+Tab go to open disagreements, `c` cycles through an alternative,
A takes the majority; every other key is the review screen's."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from annotations.curation.session import CurationSession
from tui.commands import CURATE, bindings
from tui.screens.review import ReviewScreen
from tui.widgets.curation.votes_panel import VotesPanel
from tui.widgets.spans.span_list import SpanList


class CurationScreen(ReviewScreen):
    MODE = CURATE
    BINDINGS = bindings(CURATE)

    def __init__(self, session: CurationSession, note: str = "") -> None:
        super().__init__(session)
        self.curation = session
        self.first_note = note

    def compose_side(self) -> ComposeResult:
        with Vertical(id="side"):
            yield SpanList(id="spans")
            yield VotesPanel(id="votes")

    def on_mount(self) -> None:
        super().on_mount()
        if self.first_note:
            self.say("; ".join(filter(None, [self.first_note, self.note])))

    def refresh_view(self) -> None:
        super().refresh_view()
        if not self._composed or not self.has_tokens():
            return
        session = self.curation
        self.query_one(SpanList).set_voters(len(session.versions().candidates.counted))
        colours = {label.name: label.colour for label in session.scheme.labels}
        versions = session.versions()
        self.query_one(VotesPanel).show(
            f"{session.index + 1}/{len(session)} {versions.name}",
            session.record.text,
            session.explain(),
            len(session.open_groups()),
            colours,
            len(versions.candidates.annotators),
        )

    def action_next_span(self) -> None:
        self._open_disagreement(1)

    def action_previous_span(self) -> None:
        self._open_disagreement(-1)

    def _open_disagreement(self, step: int) -> None:
        if self.curation.next_open(step):
            return self._moved()
        self.say("no open disagreement in this article: Space submits it")

    def action_cycle(self) -> None:
        self._changed(self.curation.cycle(), "no disagreement under the cursor")

    def action_accept_all(self) -> None:
        n = self.curation.take_majority()
        if n:
            return self.say(f"took the majority in {n} disagreement{'s' if n > 1 else ''}")
        self.say("no open disagreement has a majority: choose with Enter or c")
