"""Writing brat standoff (`convert --to brat -o DIR`), as brat and INCEpTION open it and
`annotations.formats.brat` reads it back.

DIR gets one `NAME.txt` (the text, byte for byte) and `NAME.ann` (`T1<TAB>LABEL START END<TAB>
text`, one line per span, never discontinuous) per article, the latest record of each annotator
(files are append-only). When the records have several annotators, each has a subfolder of its
own (its name), holding the same file names for the same articles. `annotation.conf` lists the
label scheme's labels, then any other label the data uses (`[entities]`; `[relations]`,
`[events]` and `[attributes]` empty), `visual.conf` the scheme's colours.

NAME is the article's meta `doc_id`, `id`, `source`... (`records.article_name`, a `.txt` suffix
dropped) when it is a plain file name (letters, digits, `.`, `_`, `-`; no `/`, no leading dot) that
no other article has; otherwise `article-HASH` (its `_input_hash`), so that no name can leave DIR.
An annotator's folder name is made safe the same way.

What brat cannot hold is said once each: records answered `reject` or `ignore` are not written
(brat has no answer: an accepted or unanswered article comes back unanswered), suggestions are not
written, and a label with a space (`Product Category`) is written with `_` (brat's labels have
none). A text starting with a byte-order mark is refused (readers drop it, shifting every offset).
DIR is written whole or not at all (`annotations.store.atomic`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import orjson

from annotations import outputs
from annotations.errors import UsageError
from annotations.formats.brat import one_line
from annotations.identity import by_article
from annotations.labels import LabelScheme
from annotations.records import Record, article_name, input_hash
from annotations.store import atomic
from annotations.store.latest import latest

MARKER = ".relecture-brat.json"
CONF = "annotation.conf"
NO_ANNOTATOR = "no-annotator"
_SAFE = re.compile(r"(?!\.)[\w.-]{1,100}")
_UNSAFE_CHAR = re.compile(r"[^\w.-]")
_WHITESPACE = re.compile(r"\s")


def _safe(name: str) -> bool:
    return bool(_SAFE.fullmatch(name)) and len(name.encode("utf-8")) <= 200


def _fold(name: str) -> str:
    """How a file system that ignores case and normalisation (macOS) compares names."""
    return unicodedata.normalize("NFC", name).casefold()


def _hash_name(record: Record) -> str:
    h = record.input_hash if record.input_hash is not None else input_hash(record.text)
    return f"article-{h & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def article_names(groups: Sequence[Sequence[Record]]) -> list[str]:
    """A unique, safe file name (without suffix) per article."""
    wanted = []
    for group in groups:
        name = article_name(group[0], "").removesuffix(".txt")
        wanted.append(name if _safe(name) else None)
    folded = Counter(_fold(n) for n in wanted if n is not None)
    names: list[str] = []
    taken: set[str] = set()
    for group, meant in zip(groups, wanted, strict=True):
        ok = meant is not None and folded[_fold(meant)] == 1
        name = meant if meant is not None and ok else _hash_name(group[0])
        base, n = name, 1
        while _fold(name) in taken:  # two texts under one hash
            n += 1
            name = f"{base}-{n}"
        taken.add(_fold(name))
        names.append(name)
    return names


def folder_names(annotators: Sequence[str | None]) -> dict[str | None, str]:
    """A unique, safe folder name per annotator (None: `no-annotator`)."""
    out: dict[str | None, str] = {}
    taken: set[str] = set()
    for who in annotators:
        name = NO_ANNOTATOR if who is None else who
        if not _safe(name):
            h = input_hash(name) & 0xFFFF_FFFF
            name = f"{_UNSAFE_CHAR.sub('_', name).lstrip('.')[:60] or 'annotator'}-{h:08x}"
        base, n = name, 1
        while _fold(name) in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(_fold(name))
        out[who] = name
    return out


def brat_labels(labels: Iterable[str]) -> dict[str, str]:
    """Our label -> brat's (no whitespace); two labels that would become one are refused."""
    out: dict[str, str] = {}
    back: dict[str, str] = {}
    for label in labels:
        written = _WHITESPACE.sub("_", label)
        if back.get(written, label) != label:
            raise UsageError(
                f"labels {back[written]!r} and {label!r} would both be written {written!r} "
                "(brat labels have no spaces); rename one first"
            )
        back[written] = label
        out[label] = written
    return out


def _conf(labels: Sequence[str]) -> str:
    entities = "".join(f"{label}\n" for label in labels)
    return (
        "# Written by relecture convert --to brat: the label scheme's labels, then the data's\n"
        f"[entities]\n{entities}\n[relations]\n\n[events]\n\n[attributes]\n"
    )


def _visual(scheme: LabelScheme | None, mapping: dict[str, str]) -> str:
    drawing = "".join(
        f"{mapping[x.name]}\tbgColor:{x.colour}\n"
        for x in (scheme.labels if scheme else ())
        if x.name in mapping
    )
    return f"[labels]\n\n[drawing]\n{drawing}"


def _ann(record: Record, mapping: dict[str, str]) -> str:
    spans = sorted(record.spans or (), key=lambda s: (s.start, s.end, s.label))
    return "".join(
        f"T{i}\t{mapping[s.label]} {s.start} {s.end}\t{one_line(record.text[s.start : s.end])}\n"
        for i, s in enumerate(spans, 1)
    )


def write_brat(
    records: Iterable[Record],
    out: Path,
    scheme: LabelScheme | None = None,
    *,
    force: bool = False,
    notice: Callable[[str], None] | None = None,
    reads: Sequence[outputs.Input] = (),
) -> int:
    """Write the records as brat standoff into the folder `out` (see the module docstring);
    returns the number of records written."""
    say = notice or (lambda _message: None)
    atomic.check_target(out, force, MARKER, "a brat folder written by relecture convert", reads)
    current = latest(records)
    kept = [r for r in current if r.answer not in ("reject", "ignore")]
    for record in kept:
        if record.text.startswith("\ufeff"):
            raise UsageError(
                f"{article_name(record, _hash_name(record))}: the text starts with a byte-order "
                "mark (U+FEFF), which brat readers drop, shifting every offset; remove it first"
            )
    groups = [[r for r, _ in group] for group in by_article((r, None) for r in kept)]
    name_of = {  # id(record) -> its article's name
        id(r): name
        for group, name in zip(groups, article_names(groups), strict=True)
        for r in group
    }
    annotators = sorted({r.annotator for r in kept}, key=lambda a: (a is not None, a or ""))
    several = len(annotators) > 1
    subfolder = folder_names(annotators) if several else {}
    data_labels = sorted({s.label for r in kept for s in r.spans or ()})
    scheme_labels = list(scheme.names) if scheme else []
    mapping = brat_labels([*scheme_labels, *(x for x in data_labels if x not in scheme_labels)])
    with atomic.written_whole(out, "convert", notice) as tmp:
        for record in kept:
            where = tmp / subfolder[record.annotator] if several else tmp
            where.mkdir(exist_ok=True)
            name = name_of[id(record)]
            (where / f"{name}.txt").write_bytes(record.text.encode("utf-8"))
            (where / f"{name}.ann").write_bytes(_ann(record, mapping).encode("utf-8"))
        (tmp / CONF).write_text(_conf(list(mapping.values())), encoding="utf-8")
        (tmp / "visual.conf").write_text(_visual(scheme, mapping), encoding="utf-8")
        manifest = {
            "written_by": "relecture convert --to brat",
            "records": len(kept),
            "annotators": [subfolder[a] for a in annotators] if several else [],
        }
        (tmp / MARKER).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    _tell(say, current, kept, mapping, subfolder)
    return len(kept)


def _tell(
    say: Callable[[str], None],
    current: list[Record],
    kept: list[Record],
    mapping: dict[str, str],
    subfolder: dict[str | None, str],
) -> None:
    if len(current) > len(kept):
        n = len(current) - len(kept)
        say(f"note: {n} record(s) answered reject or ignore not written (brat has no answers)")
    suggestions = sum(len(r.suggestions or ()) for r in kept)
    if suggestions:
        say(f"note: {suggestions} suggestion(s) not written (brat holds annotations only)")
    for label, written in mapping.items():
        if label != written:
            say(f"note: label {label!r} written as {written!r} (brat labels have no spaces)")
    for who, name in subfolder.items():
        if who != name:
            say(f"note: annotator {who!r} written in folder {name!r}")
