"""The user's keymap file: a `[keys]` table mapping command names to key names, checked in full
before the app starts.

```toml
[keys]
accept_span = "y"            # or "relecture.accept_span" = "y"
reject_span = "n,delete"     # several keys, comma-separated
```

What a key name is (and which names are the same key) is the UI toolkit's knowledge: the caller
passes it in as a `KeySyntax`, so this module stays free of textual and is tested without a
terminal. The result maps binding ids (`relecture.<name>`) to key strings, ready for Textual's
`App.set_keymap`.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.errors import InputError
from annotations.inputs import read_input

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PREFIX = "relecture."
TABLE = "keys"


@dataclass(frozen=True)
class KeySyntax:
    """What the UI toolkit knows about key names."""

    is_key: Callable[[str], bool]  # a key name the toolkit can bind ("enter", "ctrl+s", "y")
    canonical: Callable[[str], str] = str  # one name per physical key ("?" -> "question_mark")
    examples: str = "enter, ctrl+s, question_mark, y"
    reserved: Mapping[str, str] = field(default_factory=dict)  # canonical key -> what uses it


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/relecture/keymap.toml` (default `~/.config/relecture/keymap.toml`)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "relecture" / "keymap.toml"


def user_keymap(
    option: Path | None,
    defaults: Mapping[str, str],
    syntax: KeySyntax,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The keymap of `--keymap FILE` (which must exist), else of the default file if there is
    one, else an empty keymap."""
    path = option if option is not None else default_path(environ)
    if option is None and not path.exists():
        return {}
    return load_keymap(path, defaults, syntax)


def load_keymap(path: Path, defaults: Mapping[str, str], syntax: KeySyntax) -> dict[str, str]:
    try:
        text = read_input(path).decode("utf-8")  # a FIFO or a device is refused, not opened
    except InputError as exc:
        raise InputError(path, 0, f"cannot read keymap: {exc.message}") from None
    except OSError as exc:
        raise InputError(path, 0, f"cannot read keymap: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(path, 0, "keymap is not UTF-8 text") from None
    return parse_keymap(text, path, defaults, syntax)


def parse_keymap(
    text: str, path: str | Path, defaults: Mapping[str, str], syntax: KeySyntax
) -> dict[str, str]:
    """`defaults` maps every binding id to its default keys ("enter,a"); the result maps the ids
    the file rebinds to their new keys. Raises InputError (`file:line: message`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _toml_error(exc, text)
        raise InputError(path, line, f"keymap is not valid TOML: {message}") from None
    lines = _entry_lines(text)

    def bad(written: str, message: str) -> InputError:
        return InputError(path, lines.get(written, 0), message)

    for name in data:
        if name != TABLE:
            raise InputError(
                path,
                lines.get(name, 0),
                f"unknown entry {name!r} (the keymap has one [keys] table)",
            )
    table = data.get(TABLE, {})
    if not isinstance(table, dict):
        raise InputError(path, lines.get(TABLE, 0), "'keys' must be a table: [keys]")

    keymap: dict[str, list[str]] = {}
    where: dict[str, str] = {}  # binding id -> the name as written (to find its line)
    for written, value in _flatten(table):
        binding_id = written if written.startswith(PREFIX) else PREFIX + written
        name = binding_id.removeprefix(PREFIX)
        if binding_id not in defaults:
            raise bad(written, f"unknown command {written!r}{_did_you_mean(name, defaults)}")
        if binding_id in keymap:
            first = lines.get(where[binding_id], 0)
            also = f" (also on line {first})" if first else ""
            raise bad(written, f"{name} is rebound twice{also}")
        where[binding_id] = written
        keymap[binding_id] = _keys_of(value, name, syntax, functools.partial(bad, written))

    _check_clashes(keymap, where, defaults, syntax, bad)
    return {binding_id: ",".join(keys) for binding_id, keys in keymap.items()}


def _flatten(table: dict[str, Any]) -> list[tuple[str, Any]]:
    """`relecture.accept_span = ...` (bare dotted key) is a nested table in TOML: flatten it."""
    out: list[tuple[str, Any]] = []
    for key, value in table.items():
        if key + "." == PREFIX and isinstance(value, dict):
            out += [(PREFIX + k, v) for k, v in value.items()]
        else:
            out.append((key, value))
    return out


def _keys_of(
    value: Any, name: str, syntax: KeySyntax, bad: Callable[[str], InputError]
) -> list[str]:
    if not isinstance(value, str):
        raise bad(f'{name}: the keys must be a string, like "enter,a"')
    keys = [key.strip() for key in value.split(",")]
    if not any(keys):
        raise bad(f"{name}: no key given")
    for key in keys:
        if not key:
            raise bad(f"{name}: an empty key name in {value!r}")
        if not syntax.is_key(key):
            raise bad(
                f"{name}: {key!r} is not a key name Textual knows (names look like {syntax.examples})"
            )
    return keys


def _check_clashes(
    keymap: Mapping[str, list[str]],
    where: Mapping[str, str],
    defaults: Mapping[str, str],
    syntax: KeySyntax,
    bad: Callable[[str, str], InputError],
) -> None:
    """Two commands on one key, or a key the toolkit keeps for itself: refused, on the line of the
    file's entry that made it."""
    owner: dict[str, str] = {}  # canonical key -> binding id
    # the file's entries in file order come last, so that a clash is reported on the later line
    order = [i for i in defaults if i not in keymap] + list(keymap)
    for binding_id in order:
        rebound = binding_id in keymap
        default_keys = [k.strip() for k in defaults[binding_id].split(",")]
        keys = keymap[binding_id] if rebound else default_keys
        kept = {syntax.canonical(k) for k in default_keys}
        name = binding_id.removeprefix(PREFIX)
        for key in keys:
            canonical = syntax.canonical(key)
            if rebound and canonical in syntax.reserved and canonical not in kept:
                raise bad(
                    where[binding_id],
                    f"{name}: {key} is kept by Textual ({syntax.reserved[canonical]}); choose another key",
                )
            other = owner.get(canonical)
            if other is not None and other != binding_id:
                # defaults never clash, so `binding_id` is one of the file's entries
                theirs = other.removeprefix(PREFIX)
                hint = "" if other in keymap else f" (rebind {theirs} too)"
                raise bad(
                    where.get(binding_id, ""),
                    f"{key} is bound to two commands: {theirs} and {name}{hint}",
                )
            owner[canonical] = binding_id


def _did_you_mean(name: str, defaults: Mapping[str, str]) -> str:
    names = [i.removeprefix(PREFIX) for i in defaults]
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"; did you mean {close[0]}?"
    return " (the names are in the README, under 'Rebinding keys')"


_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)\s*$")


def _toml_error(exc: Exception, text: str) -> tuple[int, str]:
    """tomllib says where only in its message: "... (at line 3, column 5)"."""
    message = str(exc)
    found = _TOML_AT.search(message)
    if found is None:
        return 0, message
    line = int(found.group(1)) if found.group(1) else max(len(text.splitlines()), 1)
    return line, message[: found.start()]


_PART = r"""(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_ENTRY = re.compile(rf"^\s*({_DOTTED})\s*=")


def _parts(dotted: str) -> list[str]:
    return [p.strip("\"'") for p in re.findall(_PART, dotted)]


def _entry_lines(text: str) -> dict[str, int]:
    """The line of each entry, by the name as written: `accept_span` or `relecture.accept_span`
    in [keys], a top-level table or key by its own name. Good enough to point at a line; TOML
    itself was already checked by tomllib."""
    lines: dict[str, int] = {}
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if header := _HEADER.match(line):
            table = _parts(header.group(1))
            lines.setdefault(table[0], number)
            if table[0] == TABLE and len(table) > 1:
                lines.setdefault(".".join(table[1:]), number)
            continue
        if entry := _ENTRY.match(line):
            full = table + _parts(entry.group(1))
            if full[0] == TABLE and len(full) > 1:
                lines.setdefault(".".join(full[1:]), number)
            else:
                lines.setdefault(full[0], number)
    return lines
