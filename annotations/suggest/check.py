"""The suggestion inputs checked before anything starts: every `--patterns` and `--learn-from` file
is read once here, bad input raising `InputError` (file:line: what is wrong), and what was read is
handed on, so `relecture suggest` and the review screen build their chain from it without reading
the files again, and never meet a bad file halfway through a run or inside a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from annotations.errors import InputError
from annotations.formats import READ_FORMATS, detect, read
from annotations.inputs import open_input, utf8_problem
from annotations.labels import LabelScheme
from annotations.records import Record
from annotations.store.lines import iter_raw_lines
from annotations.suggest.patterns import PatternSet, pattern_set


@dataclass(frozen=True)
class SuggestInputs:
    """What the checked files hold: the pattern sets (one per file, in order) and the records of
    the learn-from files (all of them, in file order: the memory decides what it learns)."""

    patterns: tuple[PatternSet, ...] = ()
    learned: tuple[Record, ...] = ()


def check_inputs(
    patterns: Sequence[Path] = (),
    learn_from: Sequence[Path] = (),
    scheme: LabelScheme | None = None,
) -> SuggestInputs:
    """Read and check every file, or raise `InputError` naming the first problem's file:line.
    With a scheme, a pattern whose label the chain would drop is refused (see `label_fits`)."""
    sets = tuple(pattern_set(path, scheme) for path in patterns)
    learned = tuple(record for path in learn_from for record in learned_records(path))
    return SuggestInputs(sets, learned)


def learned_records(path: str | Path) -> list[Record]:
    """Every record of an annotation file in any readable format."""
    path = Path(path)
    return [item.record for item in read(path, learn_format(path))]


def learn_format(path: Path) -> str:
    """The file's format; when it cannot be told, say why in terms of `--learn-from` (there is no
    `--format` for these files), and name bad UTF-8 rather than an unknown format."""
    try:
        return detect(path)
    except InputError as exc:
        if exc.line != 1:  # missing or empty: detect's own message says it
            raise
    problem = utf8_problem(_first_line(path))
    raise InputError(
        path,
        1,
        problem
        or "cannot tell the format of this --learn-from file (it reads "
        + ", ".join(f for f in READ_FORMATS if f != "txt")
        + ")",
    )


def _first_line(path: Path) -> bytes:
    with open_input(path) as fh:
        return next((raw for _, raw in iter_raw_lines(fh, path) if isinstance(raw, bytes)), b"")
