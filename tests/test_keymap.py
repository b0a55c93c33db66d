"""The keymap file (`annotations.keymap`), without a terminal: what it accepts, and every way it is
refused with `file:line: message`. The key syntax is Textual's (`tui.keymap.SYNTAX`), checked here
on its own too."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.errors import InputError
from annotations.keymap import default_path, parse_keymap, user_keymap
from tui.commands import COMMANDS
from tui.keymap import SYNTAX, canonical, default_keys, is_key

DEFAULTS = default_keys()


def parse(text: str) -> dict[str, str]:
    return parse_keymap(text, "keymap.toml", DEFAULTS, SYNTAX)


def refused(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        parse(text)
    return info.value


def test_the_registry_defaults_do_not_clash() -> None:
    assert parse("") == {}
    assert parse("[keys]\n") == {}


@pytest.mark.parametrize(
    "entry",
    [
        'accept_span = "y"',
        '"relecture.accept_span" = "y"',
        'relecture.accept_span = "y"',  # a bare dotted key is a nested table in TOML
        "accept_span = 'y'",
        'accept_span = " y "',
    ],
)
def test_a_command_by_name_or_full_id(entry: str) -> None:
    assert parse(f"[keys]\n{entry}\n") == {"relecture.accept_span": "y"}


def test_several_keys_and_a_table_per_prefix() -> None:
    text = '[keys.relecture]\naccept_span = "y, ctrl+s"\nlabel_1 = "f1"\n'
    assert parse(text) == {"relecture.accept_span": "y,ctrl+s", "relecture.label_1": "f1"}


def test_rebinding_onto_a_key_freed_by_another_rebinding() -> None:
    text = '[keys]\naccept_span = "x"\nreject_span = "d"\n'
    assert parse(text) == {"relecture.accept_span": "x", "relecture.reject_span": "d"}
    # a swap is fine too
    swap = parse('[keys]\nnext_article = "p"\nprevious_article = "n"\n')
    assert swap == {"relecture.next_article": "p", "relecture.previous_article": "n"}


def test_a_command_may_keep_a_key_textual_keeps() -> None:
    assert parse('[keys]\ncommand_palette = "ctrl+p,ctrl+k"\n') == {
        "relecture.command_palette": "ctrl+p,ctrl+k"
    }


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[keys]\naccept_span = "y"\naccept_span = ', 3, "keymap is not valid TOML: "),
        ('[keys]\naccept_span = y\nquit = "q"\n', 2, "keymap is not valid TOML: Invalid value"),
        ('[keys]\naccept_span = "y"\n\nacept_span = "z"\n', 4, "did you mean accept_span?"),
        ('[keys]\nzzz = "z"\n', 2, "unknown command 'zzz'"),
        ('[keys]\naccept_span = "Enter"\n', 2, "'Enter' is not a key name Textual knows"),
        ('[keys]\naccept_span = "y"\nreject_span = "y"\n', 3, "bound to two commands"),
        ('[keys]\naccept_span = "x"\n', 2, "accept_span (rebind reject_span too)"),
        ('[keys]\nhelp = "/"\n', 2, "bound to two commands: search and help"),  # / is slash
        ('[keys]\nnext_span = "ctrl+i"\nundo = "tab"\n', 3, "two commands"),  # ctrl+i is tab
        ('[keys]\naccept_span = "ctrl+q"\n', 2, "kept by Textual (quit)"),
        ('[keys]\naccept_span = "ctrl+p"\n', 2, "kept by Textual (the command palette)"),
        ('[keys]\naccept_span = ""\n', 2, "accept_span: no key given"),
        ('[keys]\naccept_span = "y,"\n', 2, "an empty key name"),
        ("[keys]\naccept_span = 1\n", 2, "must be a string"),
        ('\n[keys]\naccept_span = "y"\n"relecture.accept_span" = "z"\n', 4, "(also on line 3)"),
        ('[bindings]\naccept_span = "y"\n', 1, "unknown entry 'bindings'"),
        ('keys = "y"\n', 1, "'keys' must be a table"),
        ('[keys.other]\naccept_span = "y"\n', 1, "unknown command 'other'"),
    ],
)
def test_refused_with_its_line(text: str, line: int, message: str) -> None:
    error = refused(text)
    assert message in error.message
    assert error.line == line
    assert str(error).startswith(f"keymap.toml:{line}: ")
    assert "\n" not in str(error)


def test_the_default_file_is_optional_but_an_option_must_exist(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert default_path(env) == tmp_path / "relecture" / "keymap.toml"
    assert default_path({}) == Path.home() / ".config" / "relecture" / "keymap.toml"
    assert user_keymap(None, DEFAULTS, SYNTAX, env) == {}
    default_path(env).parent.mkdir()
    default_path(env).write_text('[keys]\nquit = "ctrl+x"\n')
    assert user_keymap(None, DEFAULTS, SYNTAX, env) == {"relecture.quit": "ctrl+x"}
    missing = tmp_path / "missing.toml"
    with pytest.raises(InputError, match="cannot read keymap"):
        user_keymap(missing, DEFAULTS, SYNTAX, env)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b'[keys]\n# caf\xe9\nquit = "x"\n')
    with pytest.raises(InputError, match="not UTF-8"):
        user_keymap(latin1, DEFAULTS, SYNTAX, env)


@pytest.mark.parametrize(
    "name",
    ["y", "A", "?", "question_mark", "slash", "enter", "ctrl+s", "shift+f5", "pageup", "space"],
)
def test_textual_key_names(name: str) -> None:
    assert is_key(name)


@pytest.mark.parametrize(
    "name", ["Enter", "ctrl+?", "ctrl+ctrl+a", "foo+a", " ", "latin_small_letter_a", "f99", ""]
)
def test_not_textual_key_names(name: str) -> None:
    assert not is_key(name)


def test_one_name_per_key() -> None:
    assert canonical("?") == canonical("question_mark")
    assert canonical("/") == canonical("slash")
    assert canonical("ctrl+i") == canonical("tab")
    assert canonical("[") == "left_square_bracket"


def test_the_readme_names_every_command_and_its_example_parses() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("**Rebinding keys.**") :]
    section = section[: section.index("\n\n**", 1)]
    for command in COMMANDS:
        assert f"`{command.name}`" in section, command.name
    example = section[
        section.index("```toml\n") + 8 : section.index("```\n", section.index("```toml"))
    ]
    assert parse(example)["relecture.accept_span"] == "y"
