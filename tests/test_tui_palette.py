"""Ctrl+P offers every command of the registry and runs it as its key would; a keymap rebinds keys
and help, palette and footer show the keys it set; a bad keymap stops `relecture` before the app
starts, in one line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.command import CommandList, CommandPalette
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey
from typer.testing import CliRunner

from annotations.demo import demo_path
from annotations.review.state import Status
from tests.test_tui_review import articles, ready
from tests.tui_helpers import make_app
from tui.cli import build
from tui.commands import commands
from tui.palette import RelectureCommands
from tui.screens.help import HelpScreen
from tui.screens.review import ReviewScreen


def status_at_cursor(app: Any) -> Status | None:
    span = app.session.span_at()
    return None if span is None else span.status


async def open_palette(app: Any, pilot: Any, query: str = "") -> list[str]:
    """Open Ctrl+P, type `query`, and return the commands listed (their plain text)."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    if query:
        await pilot.press(*query)
    await pilot.pause()
    await app.workers.wait_for_complete()  # the palette gathers its hits in a worker
    await pilot.pause()
    command_list = app.screen.query_one(CommandList)
    return [
        command_list.get_option_at_index(i).prompt.plain  # type: ignore[union-attr]
        for i in range(command_list.option_count)
    ]


async def test_ctrl_p_accept_enter_accepts_the_span_under_the_cursor(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        assert status_at_cursor(app) is Status.PENDING  # Meta, a pattern suggestion
        listed = await open_palette(app, pilot, "accept")
        assert listed[0] == "Accept the span  Enter / a"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert status_at_cursor(app) is Status.ACCEPTED
        assert app.session.state.spans[1].status is Status.PENDING  # only that one


async def test_every_registry_command_and_label_is_in_the_palette(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        listed = await open_palette(app, pilot)
        titles = [c.title for c in commands()]  # the annotation screen's
        labels = [f"Label as {label.name}" for label in app.session.scheme.labels]
        ours = [line for line in listed if line.split("  ")[0] in titles + labels]
        assert [line.split("  ")[0] for line in ours] == titles + labels
        # each with its active key
        assert "Reject the span (delete your own)  x / Del" in ours
        assert f"Label as {app.session.scheme.labels[0].name}  1" in ours
        # and each is found by searching its title
        provider = RelectureCommands(app.screen_stack[-2])
        for title in [*titles, *labels]:
            found = [hit.text async for hit in provider.search(title)]
            assert title in found, title


async def test_label_and_prompts_from_the_palette(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        first = app.session.scheme.labels[0].name
        await pilot.press("right", "right", "shift+right")  # Jack Altman
        await open_palette(app, pilot, f"label as {first}")
        await pilot.press("enter")
        await pilot.pause()
        assert (2, 3, first) in [
            (s.token_start, s.token_end, s.label) for s in app.session.state.spans
        ]
        # commands that open a prompt: search, then go to
        await open_palette(app, pilot, "search in the text")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.prompt is not None  # the prompt under the article is open
        await pilot.press(*"openai", "enter")
        await pilot.pause()
        s = app.session
        assert s.record.tokens[s.state.cursor].text == "OpenAI"
        await open_palette(app, pilot, "go to article")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.prompt is not None  # the prompt under the article is open
        await pilot.press("3", "enter")
        await pilot.pause()
        assert s.index == 2


def help_text(app: Any) -> str:
    assert isinstance(app.screen, HelpScreen)
    console = Console(width=116, record=True, file=io.StringIO())
    for static in app.screen.query(Static):
        console.print(static.content)
    return console.export_text()


def footer_keys(app: Any) -> dict[str, str]:
    footer = app.screen.query_one(Footer)
    return {key.description: key.key_display for key in footer.query(FooterKey)}


async def test_a_keymap_rebinds_the_key_and_every_view_shows_it(tmp_path: Path) -> None:
    keymap = {"relecture.accept_span": "y", "relecture.label_1": "f1"}
    app = make_app(tmp_path / "out.jsonl", articles(), keymap=keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("enter")  # no longer accept
        assert status_at_cursor(app) is Status.PENDING
        await pilot.press("y")
        assert status_at_cursor(app) is Status.ACCEPTED
        await pilot.press("tab", "f1")  # OpenAI relabelled with the first label
        first = app.session.scheme.labels[0].name
        assert app.session.span_at().label == first
        listed = await open_palette(app, pilot, "accept the span")
        assert "Accept the span  y" in listed
        await pilot.press("escape")
        await pilot.pause()
        # (the footer is redrawn when the screen is shown again; it is not yet redrawn when the
        # tokenizer becomes ready, so it is checked here)
        assert footer_keys(app)["Accept the span"] == "y"
        assert footer_keys(app)["Reject the span (delete your own)"] == "x / Del"
        await pilot.press("question_mark")
        await pilot.pause()
        text = help_text(app)
        lines = [" ".join(line.split()) for line in text.splitlines()]
        assert "y Accept the span" in lines
        assert "x / Del Reject the span (delete your own)" in lines  # the others unchanged
        assert any(line.startswith("f1/2/3") and f"f1 {first}" in line for line in lines)


def test_bad_keymaps_stop_before_the_app_starts(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    runner = CliRunner()
    out = tmp_path / "out.jsonl"
    cases = {
        "syntax.toml": ('[keys]\naccept_span = "y\n', "syntax.toml:2: keymap is not valid TOML"),
        "unknown.toml": ('[keys]\nacept_span = "y"\n', "unknown.toml:2: unknown command"),
        "key.toml": ('[keys]\n\naccept_span = "Entr"\n', "key.toml:3: accept_span: 'Entr'"),
        "clash.toml": ('[keys]\naccept_span = "n"\n', "clash.toml:2: n is bound to two"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        for args in (
            [
                "annotate",
                str(demo_path()),
                "-o",
                str(out),
                "--annotator",
                "a",
                "--keymap",
                str(path),
            ],
            ["demo", "-o", str(out), "--keymap", str(path)],
            ["--keymap", str(path)],
        ):
            result = runner.invoke(build(), args)
            assert result.exit_code == 1, (args, result.output)
            assert len(result.output.splitlines()) == 1, result.output
            assert result.output.startswith(f"error: {path.parent}/{message}"), result.output
            assert not out.exists()
            assert not (tmp_path / "data").exists()
    # the default file is read when there is no --keymap
    default = tmp_path / "config" / "relecture" / "keymap.toml"
    default.parent.mkdir(parents=True)
    default.write_text('[keys]\nquit = "Q!"\n')
    result = runner.invoke(build(), ["demo", "-o", str(out)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: {default}:2: quit: 'Q!' is not a key name Textual knows"
        " (names look like enter, ctrl+s, question_mark, y)\n"
    )
    missing = tmp_path / "missing.toml"
    result = runner.invoke(build(), ["demo", "-o", str(out), "--keymap", str(missing)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {missing}: cannot read keymap")


@pytest.mark.parametrize("name", ["accept_span", "relecture.accept_span"])
def test_keymap_option_reaches_the_app(tmp_path: Path, monkeypatch: Any, name: str) -> None:
    seen: dict[str, Any] = {}

    def fake_run(self: Any) -> None:
        seen.update(self.user_keymap)

    monkeypatch.setattr("tui.app.RelectureApp.run", fake_run)
    path = tmp_path / "keymap.toml"
    path.write_text(f'[keys]\n"{name}" = "y"\n')
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        build(), ["demo", "-o", str(out), "--model", "none", "--keymap", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert seen == {"relecture.accept_span": "y"}
