"""brat standoff: a folder of `NAME.txt` + `NAME.ann` pairs. Text-bound annotations
(`T1<TAB>PER 4 17<TAB>Caius Apicius`) become spans; a folder whose subfolders hold the pairs is
read as one annotator per subfolder (the subfolder's name), as in multi-annotator brat projects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from annotations.align import Policy
from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.formats.txt import read_text_file
from annotations.inputs import files_in
from annotations.records import Record, Span

log = logging.getLogger("relecture.formats")
# what a `.ann` line cannot hold: lines are split as `str.splitlines` splits them, fields at tabs
_LINE_BREAKS = str.maketrans(dict.fromkeys("\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", " "))


def one_line(text: str) -> str:
    """A span's text as an `.ann` line holds it: tabs and line breaks as spaces (brat writes a
    newline inside a span as a space)."""
    return text.translate(_LINE_BREAKS)


def ann_files(folder: Path) -> list[Path]:
    """The folder's `.ann` files; one that is not a readable regular file raises `InputError`."""
    return files_in(folder, "*.ann")


def _subfolders(folder: Path) -> list[Path]:
    return sorted(d for d in folder.iterdir() if d.is_dir())


def is_brat(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".ann"
    return bool(ann_files(path)) or any(ann_files(d) for d in _subfolders(path))


def read_brat(
    path: Path, policy: Policy | str = Policy.SPLIT, tokens: bool = True
) -> Iterator[Item]:
    if path.is_file():
        yield _read_pair(path, None, policy, tokens)
        return
    if ann_files(path):
        for ann in ann_files(path):
            yield _read_pair(ann, None, policy, tokens)
        return
    for sub in _subfolders(path):
        for ann in ann_files(sub):
            yield _read_pair(ann, sub.name, policy, tokens)


def _read_pair(ann: Path, annotator: str | None, policy: Policy | str, tokens: bool = True) -> Item:
    txt = ann.with_suffix(".txt")
    if not os.path.lexists(txt):
        raise InputError(ann, 0, f"no text file {txt.name!r} beside it")
    text = read_text_file(txt, normalise_newlines=False)
    spans: list[Span] = []
    skipped = 0
    for lineno, line in enumerate(read_text_file(ann, normalise_newlines=False).splitlines(), 1):
        if not line.strip():
            continue
        if not line.startswith("T"):
            skipped += 1  # relations, events, attributes, notes: not spans
            continue
        parts = line.split("\t")
        if len(parts) < 2 or " " not in parts[1]:
            raise InputError(
                ann,
                lineno,
                "malformed text-bound annotation (want 'T1<TAB>LABEL start end<TAB>text')",
            )
        label, _, offsets = parts[1].partition(" ")
        if not label:
            raise InputError(ann, lineno, "the label is empty (want 'T1<TAB>LABEL start end')")
        fragments = []
        for frag in offsets.split(";"):
            numbers = frag.split()
            # ASCII digits only: int() would also take '٣', '+3' or '1_000'
            if len(numbers) != 2 or not all(x.isascii() and x.isdigit() for x in numbers):
                raise InputError(
                    ann, lineno, f"bad offsets {offsets!r} (want two numbers: 'start end')"
                )
            s, e = int(numbers[0]), int(numbers[1])
            if not 0 <= s < e <= len(text):
                raise InputError(
                    ann,
                    lineno,
                    f"offsets {s}-{e} out of range ({txt.name!r} has {len(text)} characters)",
                )
            fragments.append((s, e))
        if len(parts) >= 3:
            expected = " ".join(text[s:e] for s, e in fragments)
            if parts[2] != expected and parts[2] != one_line(expected):
                raise InputError(
                    ann,
                    lineno,
                    f"text {parts[2]!r} does not match {txt.name!r} at {offsets} ({expected!r})",
                )
        if len(fragments) > 1:
            log.warning("%s:%d: discontinuous span read as %d spans", ann, lineno, len(fragments))
        spans += [Span(s, e, label, extra={"id": parts[0]}) for s, e in fragments]
    if skipped:
        log.info("%s: %d non-span lines (relations, attributes, notes) not read", ann, skipped)
    record = Record(text=text, meta={"source": txt.name}, spans=spans, annotator=annotator)
    issues = complete(record, policy, tokens)
    return Item(record, str(ann), issues)
