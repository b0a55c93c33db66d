"""The user's keymap on Textual's side: what a Textual key name is, the registry's default keys, and
the keys each command really has once the keymap is applied (help and palette show those; the
footer reads the same bindings through Textual)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingsMap
from textual.keys import (
    KEY_ALIASES,
    REPLACED_KEYS,
    Keys,
    _character_to_key,
    key_to_character,
)

from annotations.keymap import KeySyntax, user_keymap
from tui.commands import bindings

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
# the names of keys that are not characters: enter, tab, f1, pageup, home...
_NAMED = frozenset(
    base
    for base in (key.value.rpartition("+")[2] for key in Keys)
    if len(base) > 1 and not base.startswith("<")
)
_ALIAS_OF = {alias: key for key, aliases in KEY_ALIASES.items() for alias in aliases}


def _split(name: str) -> tuple[list[str], str]:
    if len(name) == 1:
        return [], name
    *modifiers, base = name.split("+")
    return modifiers, base


def is_key(name: str) -> bool:
    """A key name Textual can bind: `y`, `?`, `question_mark`, `enter`, `ctrl+s`, `shift+f5`."""
    modifiers, base = _split(name)
    if any(m not in MODIFIERS for m in modifiers) or len(set(modifiers)) != len(modifiers):
        return False
    if len(base) == 1:  # a character; with a modifier, only a letter or digit has that name
        return base.isalnum() if modifiers else base.isprintable() and not base.isspace()
    if base in _NAMED:
        return True
    # a character by its Textual name (slash, question_mark, left_square_bracket...)
    character = key_to_character(REPLACED_KEYS.get(base, base))  # slash -> solidus -> /
    return character is not None and _character_to_key(character) == base


def canonical(name: str) -> str:
    """One name per key: `?` and `question_mark`, `ctrl+i` and `tab` are the same key."""
    modifiers, base = _split(name)
    if len(base) == 1 and not modifiers:
        base = _character_to_key(base)  # what Textual does to a one-character key
    full = "+".join([*modifiers, base])
    return _ALIAS_OF.get(full, full)


def _reserved() -> dict[str, str]:
    """Keys the app itself binds with priority: a command rebound there would never run."""
    out = {canonical(App.COMMAND_PALETTE_BINDING): "the command palette"}
    for key, binding in BindingsMap(App.BINDINGS):
        if binding.priority:
            out[canonical(key)] = binding.description.lower() or binding.action
    return out


SYNTAX = KeySyntax(is_key=is_key, canonical=canonical, reserved=_reserved())


def default_keys() -> dict[str, str]:
    """Every binding id of the registry (commands and label keys) and its default keys."""
    return {b.id: b.key for b in bindings(None) if b.id is not None}


def load_user_keymap(option: Path | None) -> dict[str, str]:
    """The checked keymap of `--keymap FILE`, or of the default file; InputError if it is bad."""
    return user_keymap(option, default_keys(), SYNTAX)


def active_bindings(app: App[Any]) -> dict[str, list[Binding]]:
    """The registry's bindings by id, with the app's keymap applied the way Textual applies it to
    every screen's bindings (`BindingsMap.apply_keymap`)."""
    bindings_map = BindingsMap(bindings(None))
    keymap = app._keymap  # what set_keymap stored, normalised
    if keymap:
        bindings_map.apply_keymap(keymap)
    out: dict[str, list[Binding]] = {}
    for _key, binding in bindings_map:
        if binding.id is not None:
            out.setdefault(binding.id, []).append(binding)
    return out


def key_displays(app: App[Any]) -> dict[str, str]:
    """How each binding id's active keys are shown: the registry's `display` for a key left as it
    is ("Enter / a"), Textual's own formatting for a rebound one ("y", "^s")."""
    out: dict[str, str] = {}
    for binding_id, found in active_bindings(app).items():
        shown = dict.fromkeys(app.get_key_display(b) for b in found)
        out[binding_id] = " / ".join(shown)
    return out
