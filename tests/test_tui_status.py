"""The status line: fitting parts to a width (pure, with hypothesis), what each part says, data
shown literally (the screen at 80x24: tests/test_tui_narrow.py)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.style import Style

from annotations.labels import load_scheme
from annotations.review.state import ArticleState, ReviewSpan, Status
from annotations.review.status import StatusInfo, label_counts
from tui.widgets.status.fit import SEPARATOR, Part, choose, fit, plain
from tui.widgets.status.status_bar import status_parts

WORDS = st.text(alphabet="abcdé漢 ·…:/", min_size=1, max_size=12)
STYLES = st.sampled_from([Style(), Style(bold=True), "#e5c07b", ""])
FORMS = st.lists(st.tuples(WORDS, STYLES), min_size=1, max_size=3).map(tuple)
PART = st.builds(Part, st.integers(0, 5), st.lists(FORMS, min_size=1, max_size=4).map(tuple))


@given(st.lists(PART, max_size=8), st.integers(0, 100))
def test_fit_is_never_wider_than_the_width_and_shows_whole_forms(
    parts: list[Part], width: int
) -> None:
    text = fit(parts, width)
    assert text.cell_len <= width
    chosen = choose(parts, width)
    expected = SEPARATOR.join(plain(parts[i].forms[k]) for i, k in sorted(chosen.items()))
    assert text.plain == expected  # whole forms in display order: nothing cut


@given(st.lists(PART, min_size=1, max_size=8), st.integers(0, 100))
def test_the_most_important_part_is_shown_whenever_one_of_its_forms_fits(
    parts: list[Part], width: int
) -> None:
    first = min(range(len(parts)), key=lambda i: parts[i].priority)
    chosen = choose(parts, width)
    fitting = [k for k, form in enumerate(parts[first].forms) if cell_len(plain(form)) <= width]
    if fitting:
        assert chosen[first] == fitting[0]  # and in its preferred form that fits
    else:
        assert first not in chosen


@given(st.lists(PART, min_size=2, max_size=8), st.integers(0, 100))
def test_a_less_important_part_never_costs_a_more_important_one_its_place(
    parts: list[Part], width: int
) -> None:
    chosen = choose(parts, width)
    for i, k in chosen.items():
        # without the parts after it in priority order, part i would get the same form
        before = [j for j in range(len(parts)) if parts[j].priority <= parts[i].priority]
        alone = choose([parts[j] for j in before], width)
        assert alone[before.index(i)] == k


INFO = StatusInfo(
    annotator="alice",
    index=2,
    total=5,
    reviewed=1,
    answer=None,
    changed=False,
    counts=(("ORG", 25), ("MISC", 1), ("MONEY", 3)),
    model="loading",
    waiting=(),
    saved_at=None,
    filter="all",
    held=0,
    note="",
)


def line(info: StatusInfo, width: int = 300) -> str:
    return fit(status_parts(info, lambda _component: Style()), width).plain


def test_every_part_when_there_is_room() -> None:
    info = replace(
        INFO,
        answer="reject",
        changed=True,
        waiting=("model", "memory"),
        saved_at=0.0,
        filter="unreviewed",
        held=3,
        note="undone: label ORG",
    )
    text = line(info)
    for piece in (
        " alice ",
        "article 3/5",
        "changed since reject · Space/r/i saves",
        "reviewed 1",
        "filter: unreviewed",
        "ORG 25 MISC 1 MONEY 3",
        "model: loading",
        "suggesting: model, memory…",
        "3 keys waiting",
        "undone: label ORG",
    ):
        assert piece in text
    assert "saved " in text and text.split("saved ")[1][:8].count(":") == 2
    assert "in progress" not in line(replace(INFO, answer="accept"))
    assert (
        "filter" not in line(INFO)
        and "saved" not in line(INFO)
        and "1 key waiting" in line(replace(INFO, held=1))
    )


def test_narrow_keeps_the_note_and_the_urgent_parts_and_drops_the_rest_whole() -> None:
    info = replace(INFO, held=2, note="no pending span under the cursor")
    text = line(info, 60)
    assert "no pending span under the cursor" in text and "2 keys waiting" in text
    assert "3/5" in text and "ORG 25" not in text  # the article number, shortened
    short = line(info, 24)
    assert short.startswith("no pending span") and short.endswith("…")  # cut between words
    assert len(short) <= 24
    changed = replace(INFO, changed=True, answer="ignore")
    assert line(changed, 30) == "3/5  changed since ignore  ✓1"
    assert line(changed, 12) == "3/5  changed"


def test_data_is_drawn_literally() -> None:
    info = replace(
        INFO, annotator="[bold]x[/]", note="\x1b[31mred\x1b]0;title\x07", answer="[i]a[/i]"
    )
    text = fit(status_parts(info, lambda _component: Style()), 200)
    assert " [bold]x[/] " in text.plain and "[i]a[/i]" in text.plain
    assert "␛[31mred␛]0;title␇" in text.plain
    assert all(ord(c) >= 0x20 for c in text.plain)
    assert not any(span.style and "bold" in str(span.style) for span in text.spans)


def test_label_counts_are_live_spans_in_scheme_order() -> None:
    scheme = load_scheme()
    spans = (
        ReviewSpan(0, 0, "ORG", Status.PENDING),
        ReviewSpan(1, 1, "PER", Status.ACCEPTED),
        ReviewSpan(2, 2, "ORG", Status.REJECTED),
        ReviewSpan(3, 3, "ORG", Status.NEW),
    )
    assert label_counts(ArticleState(spans=spans), scheme) == (("PER", 1), ("ORG", 2))


def test_the_model_in_the_loop_shows_its_version_and_f1_and_the_run_going() -> None:
    loop = replace(INFO, model="ready", model_label="v2 F1 0.71", training="training v3…")
    text = line(loop, 120)
    assert "model v2 F1 0.71  training v3…" in text
    assert "model: ready" not in text
    assert "model: loading" in line(replace(loop, model="loading", training=""))  # not yet
    # narrow: the run goes before the reviewed count and the annotator
    narrow = line(loop, 60)
    assert "training v3…" in narrow and "reviewed" not in narrow and "alice" not in narrow
