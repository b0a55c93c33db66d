"""spaCy's French `TOKEN_MATCH`, built in milliseconds instead of seconds.

`spacy.lang.fr.tokenizer_exceptions` ends with `TOKEN_MATCH = re.compile("(?iu)" +
"|".join(...)).match` over 266 alternatives, each holding spaCy's large `ALPHA_LOWER` / `ALPHA`
character classes under `(?i)`: compiling it is nearly all of the 3.5-5 s that
`spacy.blank("fr")` takes. The alternatives share a few tails, so the same language can be
written with the tails once (`(?:p1|p2|…)tail` for `p1tail|p2tail|…`): 6 large classes to
compile instead of ~800. spaCy's tokenizer only asks whether `token_match(s)` matches (also
in `explain`), and it serialises `token_match.__self__.pattern`, which stays a valid pattern.

`install()` adds an import hook for that one module: spaCy's own source file runs as it is, but
for its last statement, and `TOKEN_MATCH` is the factored pattern. The factoring is checked
first: the module's `_regular_exp` must be exactly what the pieces rebuild, and every piece must
stand alone inside a group. On any difference (another spaCy version) the original statement
runs instead, so the result is never wrong, only slow.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

MODULE = "spacy.lang.fr.tokenizer_exceptions"
_lock = threading.Lock()


def install() -> None:
    """Make the first import of spaCy's French tokenizer exceptions build the factored
    `TOKEN_MATCH`. Does nothing when that module is already imported. Idempotent."""
    with _lock:
        if MODULE in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
            return
        sys.meta_path.insert(0, _Finder())


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != MODULE:
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)  # once is enough
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return spec  # not a plain source file: leave it to the usual loader
        spec.loader = _Loader(fullname, spec.loader.path)
        return spec


class _Loader(importlib.machinery.SourceFileLoader):
    """Runs the module's source without its last statement (when that is `TOKEN_MATCH = …`),
    then sets `TOKEN_MATCH`. Writes no bytecode cache (the code is not the file's)."""

    def exec_module(self, module: ModuleType) -> None:
        tree = ast.parse(self.get_data(self.path), self.path)
        last = tree.body[-1] if tree.body else None
        if not _is_token_match(last):
            super().exec_module(module)
            return
        assert last is not None
        namespace = module.__dict__
        exec(compile(ast.Module(tree.body[:-1], []), self.path, "exec"), namespace)
        pattern = factored(namespace)
        if pattern is None:  # not the pieces we know: the original, slow compile
            exec(compile(ast.Module([last], []), self.path, "exec"), namespace)
        else:
            namespace["TOKEN_MATCH"] = re.compile(pattern).match


def _is_token_match(node: ast.stmt | None) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "TOKEN_MATCH"
    )


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def factored(ns: Mapping[str, Any]) -> str | None:
    """The factored pattern for the module namespace `ns` (spaCy's `_regular_exp` and the lists
    it is made of), or None when `_regular_exp` is not exactly what these pieces make."""
    exps = _strings(ns.get("_regular_exp"))
    prefixes = _strings(ns.get("_hyphen_prefix"))
    elisions = _strings(ns.get("_elision_prefix"))
    combos = _strings(ns.get("_hyphen_combination"))
    chars = [ns.get(name) for name in ("HYPHENS", "ELISION", "ALPHA_LOWER", "ALPHA")]
    if exps is None or prefixes is None or elisions is None or combos is None:
        return None
    if not all(isinstance(c, str) and c for c in chars):
        return None
    hyphen, elision, al, a = chars
    n_fixed = len(exps) - len(prefixes) - len(elisions) - len(combos)
    if n_fixed < 0:
        return None
    plus, star = f"[{al}]+$", f"[{al}]*$"
    heads_plus: list[str] = []  # `^{head}[{al}]+$`
    heads_star: list[str] = []  # `^{head}[{al}]*$`
    for exp in exps[:n_fixed]:
        if not exp.startswith("^"):
            return None
        if exp.endswith(plus):
            heads_plus.append(exp[1 : -len(plus)])
        elif exp.endswith(star):
            heads_star.append(exp[1 : -len(star)])
        else:
            return None
    # the rest as spaCy's own templates make it (spacy/lang/fr/tokenizer_exceptions.py)
    rebuilt = [
        *(f"^{p}[{hyphen}][{al}][{hyphen}{al}{elision}]*$" for p in prefixes),
        *(f"^{p}[{elision}][{al}][{hyphen}{al}{elision}]*$" for p in elisions),
        *(f"^[{a}]+[{hyphen}]{hc}[{hyphen}](?:l[{elision}])?[{a}]+$" for hc in combos),
    ]
    if exps[n_fixed:] != rebuilt:
        return None
    pieces = heads_plus + heads_star + prefixes + elisions + combos
    if not pieces or not all(_standalone(p) for p in pieces):
        return None
    if not (heads_plus and heads_star and prefixes and elisions and combos):
        return None

    def alt(items: list[str]) -> str:
        return "(?:" + "|".join(items) + ")"

    branches = [
        # `h[al]+$` is `h[al][al]*$`: both kinds of head share the tail
        f"^(?:{alt(heads_plus)}[{al}]|{alt(heads_star)})[{al}]*$",
        f"^(?:{alt(prefixes)}[{hyphen}]|{alt(elisions)}[{elision}])[{al}][{hyphen}{al}{elision}]*$",
        f"^[{a}]+[{hyphen}]{alt(combos)}[{hyphen}](?:l[{elision}])?[{a}]+$",
    ]
    return "(?iu)" + "|".join(f"(?:{b})" for b in branches)


def _standalone(piece: str) -> bool:
    """Whether `piece` means the same inside `(?:…)` as spliced into a longer pattern: balanced
    groups, no `|` outside them, nothing escaped and no group kind but `(?:` (no numbered
    groups or references that moving it could change, no anchors or look-arounds)."""
    if not piece or "\\" in piece or "$" in piece or "^" in piece:
        return False
    depth = 0
    in_class = False
    for i, ch in enumerate(piece):
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            if piece[i + 1 : i + 3] != "?:":
                return False
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
        elif ch == "|" and depth == 0:
            return False
    return depth == 0 and not in_class
