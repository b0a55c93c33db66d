"""WebAnno / INCEpTION TSV 3.x (`#FORMAT=WebAnno TSV 3.3`): one document per file.

The header declares the layers (`#T_SP=` span, `#T_CH=` chain, `#T_RL=` relation), each with its
features, one column per feature after the three fixed ones (`1-2`, `4-8`, `Haag`): columns are
found from the header, never by their position. What is read:

- the text, from the sentences' `#Text=` lines (a sentence's lines joined by newlines; the gap
  before a sentence that starts later is filled with spaces, as INCEpTION does), unescaped;
- the token rows (`1-2`) as the record's tokens; sub-token rows (`1-2.1`) only carry offsets for
  the annotations on them;
- the named-entity layer (`de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity`), its `value`
  feature as the label (`identifier`, when set, kept in the span as `identifier`). An entity over
  several rows carries its id (`PER[2]`) and spans from the first row's start to the last one's
  end; stacked entities (`ORG[7]|PER[8]`) are all kept (they overlap: `validate` reports that
  unless the label scheme sets `allow_overlap`). `spans_key` (`--spans-key LAYER`) reads another
  span layer instead (a custom `webanno.custom.Span`; its `value` feature, else its first);
- offsets are UTF-16 units (an emoji counts two), turned into characters.

Not read, with one warning for the whole input each: the other layers (named), annotations
without a value (`*`: an annotation with no label is no span) and zero-width annotations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from annotations.align import Policy
from annotations.errors import InputError
from annotations.formats.base import Item
from annotations.formats.inception import (
    NAMED_ENTITY,
    Document,
    Notes,
    Utf16,
    documents,
    read_documents,
    units,
)
from annotations.formats.txt import read_text_file
from annotations.inputs import read_input
from annotations.records import Record, Span, Token
from annotations.store.lines import BOM

MAGIC = b"#FORMAT=WebAnno TSV"
_FORMAT = re.compile(r"#FORMAT=WebAnno TSV (\d+)\.(\d+)")
_LAYER = re.compile(r"#T_(SP|CH|RL)=(.*)")
_UNIT = re.compile(r"(\d+)-(\d+)(?:\.(\d+))?")
_OFFSETS = re.compile(r"(\d+)-(\d+)")
_VALUE_ESCAPE = re.compile(r"\\(->|[\\\[\]|_;tn*])")
_TEXT_ESCAPE = re.compile(r"\\([\x00-\x07\x0e-\x1f]|[tnfrb\\])")
_JAVA_ESCAPE = re.compile(r"\\(u+[0-9a-fA-F]{4}|[0-3][0-7]{0,2}|[4-7][0-7]?|.?)", re.DOTALL)
_CONTROL = {"t": "\t", "n": "\n", "f": "\f", "r": "\r", "b": "\b"}


def looks_like_webanno(head: bytes) -> bool:
    return head.removeprefix(BOM).startswith(MAGIC)


def _is_webanno_file(path: Path) -> bool:
    return path.suffix == ".tsv" and looks_like_webanno(read_input(path, len(MAGIC) + 3))


def is_webanno(path: Path) -> bool:
    """A WebAnno TSV file, or a folder of them (see `annotations.formats.inception`)."""
    if path.is_file():
        return looks_like_webanno(read_input(path, len(MAGIC) + 3))
    return any(_is_webanno_file(doc.file) for doc in documents(path, "*.tsv"))


def unescape_value(value: str) -> str:
    """A feature value as written (`\\[`, `\\|`, `\\_`, `\\->`, `\\t`...), unescaped."""
    if "\\" not in value:
        return value
    return _VALUE_ESCAPE.sub(lambda m: _CONTROL.get(m[1], m[1]), value)


def unescape_text(text: str, minor: int) -> str:
    """A `#Text=` line's text: 3.2 and later escape the backslash and control characters, 3.0
    and 3.1 wrote Java escapes (`\\u00e9`)."""
    if "\\" not in text:
        return text
    if minor >= 2:
        return _TEXT_ESCAPE.sub(lambda m: _CONTROL.get(m[1], m[1]), text)

    def java(m: re.Match[str]) -> str:
        esc = m[1]
        if esc.startswith("u"):
            return chr(int(esc.lstrip("u"), 16))
        if esc[:1].isdigit():
            return chr(int(esc, 8))
        return _CONTROL.get(esc, esc)

    # \ud83d\ude0a: the two halves of one character, joined
    return _JAVA_ESCAPE.sub(java, text).encode("utf-16", "surrogatepass").decode("utf-16")


def split_stack(cell: str) -> list[str]:
    """`ORG[7]|PER[8]` -> its stacked values; an escaped `\\|` does not separate."""
    if "|" not in cell:
        return [cell]
    out: list[str] = []
    piece: list[str] = []
    i = 0
    while i < len(cell):
        ch = cell[i]
        if ch == "\\" and i + 1 < len(cell):
            piece += cell[i : i + 2]
            i += 2
            continue
        if ch == "|":
            out.append("".join(piece))
            piece = []
        else:
            piece.append(ch)
        i += 1
    out.append("".join(piece))
    return out


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    kind: str  # SP (span), CH (chain), RL (relation)
    features: tuple[str, ...]
    first: int  # its first column, counted from the first annotation column

    @property
    def width(self) -> int:
        return max(len(self.features), 1)  # a layer without features has one placeholder column

    def matches(self, name: str) -> bool:
        return name in (self.name, self.name.rsplit(".", 1)[-1])


@dataclass(slots=True)
class _Annotation:
    begin: int  # UTF-16 units
    end: int
    label: str | None  # None: `*`, no value
    extra: dict[str, str] | None
    line: int  # its first row


def read_header(lines: list[str], path: Path) -> tuple[int, list[Layer], int]:
    """(minor version, layers, index of the first line after the header)."""
    first = lines[0].removeprefix("\ufeff") if lines else ""
    m = _FORMAT.fullmatch(first.rstrip())
    if m is None or m[1] != "3":
        found = f"{first[:40]!r}" if first else "an empty file"
        raise InputError(
            path, 1, f"not a WebAnno TSV 3 file: want '#FORMAT=WebAnno TSV 3.x', got {found}"
        )
    layers: list[Layer] = []
    column = 0
    i = 1
    while i < len(lines) and lines[i].strip():
        line = lines[i].rstrip("\r")
        lm = _LAYER.fullmatch(line)
        if lm is None:
            raise InputError(
                path,
                i + 1,
                f"broken header: {line[:40]!r} is not a layer line ('#T_SP=', '#T_CH=' or "
                "'#T_RL=' then TYPE|feature...), and the header ends with two blank lines",
            )
        name, *features = lm[2].split("|")
        if not name or not all(features):
            raise InputError(path, i + 1, f"broken header: empty layer or feature name in {line!r}")
        layer = Layer(name, lm[1], tuple(features), column)
        layers.append(layer)
        column += layer.width
        i += 1
    return int(m[2]), layers, i


def _pick(layers: list[Layer], spans_key: str | None) -> Layer | None:
    """The layer to read: NamedEntity, or the span layer `spans_key` names (its full name or the
    last part of it). A file without it has none of its annotations (INCEpTION only declares
    the layers a document has annotations of)."""
    if spans_key is None:
        return next((x for x in layers if x.name == NAMED_ENTITY), None)
    return next((x for x in layers if x.kind == "SP" and x.matches(spans_key)), None)


def read_webanno(
    path: Path, policy: Policy | str = Policy.SPLIT, spans_key: str | None = None
) -> Iterator[Item]:
    return read_documents(path, "*.tsv", _read_file, policy, spans_key, "span layer")


def _read_file(doc: Document, spans_key: str | None, notes: Notes) -> tuple[Record, str | None]:
    path = doc.file
    lines = read_text_file(path).split("\n")
    minor, layers, start = read_header(lines, path)
    layer = _pick(layers, spans_key)
    notes.layers.update(x.name for x in layers if x is not layer)
    n_columns = 3 + sum(x.width for x in layers)
    parts: list[str] = []  # the text so far
    length = 0  # its length in UTF-16 units
    fragments: list[str] = []  # the current sentence's #Text= lines
    state = "between"  # between sentences, in a sentence's header, in its rows
    rows: list[tuple[int, int, int]] = []  # (line, begin, end) of each token row
    annotations: dict[tuple[object, ...], _Annotation] = {}

    for i in range(start, len(lines)):
        line, lineno = lines[i], i + 1
        if state != "rows" and line.startswith("#"):
            if line.startswith("#Text="):
                try:
                    fragments.append(unescape_text(line[len("#Text=") :], minor))
                except UnicodeDecodeError:  # `\ud83d` without its other half (found by review)
                    raise InputError(
                        path,
                        lineno,
                        "#Text= has half of a character (a lone UTF-16 surrogate escape)",
                    ) from None
            state = "header"
            continue
        if not line.strip():
            if state == "header":
                raise InputError(
                    path, lineno, "a sentence's #Text= lines must be followed by its token rows"
                )
            state = "between"
            continue
        if state == "between":
            raise InputError(
                path, lineno, "token row outside a sentence (no #Text= line before it)"
            )
        fields = line.split("\t")
        if len(fields) < n_columns:
            raise InputError(
                path,
                lineno,
                f"{len(fields)} columns, the header declares {n_columns} "
                f"(3 + one per feature of {len(layers)} layer(s))",
            )
        unit, offsets = _UNIT.fullmatch(fields[0]), _OFFSETS.fullmatch(fields[1])
        if unit is None or offsets is None:
            raise InputError(
                path, lineno, f"expected 'S-T<TAB>BEGIN-END<TAB>token', got {line[:40]!r}"
            )
        begin, end = int(offsets[1]), int(offsets[2])
        if end < begin:
            raise InputError(path, lineno, f"offsets {begin}-{end}: the end is before the start")
        if state == "header":  # the sentence's first row: its text joins the document
            if unit[3] is not None:
                raise InputError(path, lineno, "a sentence starts with a sub-token row")
            if length > begin:
                if not (length == begin + 1 and parts and parts[-1].endswith("\n")):
                    raise InputError(
                        path, lineno, f"the sentence starts at {begin}, inside the previous one"
                    )
                parts[-1] = parts[-1][:-1]  # no gap: the previous sentence's newline goes
                length -= 1
            elif length < begin:
                parts.append(" " * (begin - length))
                length = begin
            sentence = "".join(f + "\n" for f in fragments)
            parts.append(sentence)
            length += units(sentence)
            fragments = []
            state = "rows"
        if unit[3] is None:
            rows.append((lineno, begin, end))
        if layer is not None:
            cells = fields[3 + layer.first : 3 + layer.first + layer.width]
            _annotations_of(cells, layer, lineno, begin, end, annotations, path)

    text = "".join(parts)
    if not text.strip():
        raise InputError(path, 0, "no text: the file has no sentence (#Text= lines)")
    to_cp = Utf16(text)

    def char(offset: int, lineno: int) -> int:
        cp = to_cp.index(offset)
        if cp is None:
            raise InputError(
                path,
                lineno,
                f"offset {offset} is beyond the text ({to_cp.units} UTF-16 units) or inside a "
                "character",
            )
        return cp

    tokens: list[Token] = []
    for lineno, begin, end in rows:
        s, e = char(begin, lineno), char(end, lineno)
        if s == e:
            continue
        if tokens and s < tokens[-1].end:
            raise InputError(path, lineno, f"token {begin}-{end} overlaps the one before it")
        tokens.append(Token(text[s:e], s, e, len(tokens), text.startswith(" ", e)))
    spans: list[Span] = []
    for ann in annotations.values():
        if ann.label is None:
            notes.no_value += 1
            continue
        s, e = char(ann.begin, ann.line), char(ann.end, ann.line)
        if s == e:
            notes.zero_width += 1
            continue
        spans.append(Span(s, e, ann.label, extra=ann.extra))
    spans.sort(key=lambda sp: sp.start)
    record = Record(
        text=text, meta={"source": doc.source}, tokens=tokens, spans=spans, annotator=doc.annotator
    )
    return record, layer.name if layer is not None else None


def _annotations_of(
    cells: list[str],
    layer: Layer,
    lineno: int,
    begin: int,
    end: int,
    annotations: dict[tuple[object, ...], _Annotation],
    path: Path,
) -> None:
    """Add (or extend) the annotations of one row's cells of `layer`."""
    features = layer.features or ("",)
    main = features.index("value") if "value" in features else 0
    if cells[main] == "_":
        return
    stacks = [split_stack(c) if c != "_" else [] for c in cells]
    for k in range(len(stacks[main])):
        label: str | None = None
        extra: dict[str, str] = {}
        ann_id: int | None = None
        for j, stack in enumerate(stacks):
            piece = stack[k] if k < len(stack) else "*"
            if piece.endswith("]") and not piece.endswith("\\]") and "[" in piece:
                piece, _, suffix = piece[:-1].rpartition("[")
                if not (suffix.isascii() and suffix.isdigit()):
                    raise InputError(
                        path, lineno, f"bad disambiguation id [{suffix}] in {cells[j]!r}"
                    )
                ann_id = int(suffix)
            value = None if piece in ("*", "_") else unescape_value(piece)
            if j == main:
                label = value if layer.features else None
            elif value is not None:
                extra[features[j]] = value
        key: tuple[object, ...] = ("id", ann_id) if ann_id is not None else ("row", lineno, k)
        seen = annotations.get(key)
        if seen is None:
            annotations[key] = _Annotation(begin, end, label, extra or None, lineno)
        else:
            seen.begin, seen.end = min(seen.begin, begin), max(seen.end, end)
