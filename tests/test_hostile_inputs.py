"""Hostile inputs, one table: every format's readers, every command, any encoding, file type,
nesting depth or permission. Each case ends as ONE line `error: file[:line]: what is wrong` on
stderr (validate: its documented `file[:line]: problem` on stdout and a count on stderr), exit 1,
no traceback, and every file that existed before (inputs, an output, an earlier export) is
byte-identical afterwards, with nothing left beside them.

The cases run in process (Click's CliRunner); a FIFO that a regression would open blindly is
guarded by an alarm, so the test fails instead of hanging.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import orjson
import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
GOOD = b'{"text": "Jean Dupont travaille chez Renault."}\n'
GOOD_DOCCANO = b'{"text": "Jean Dupont", "label": [[0, 11, "PER"]]}\n'
PRECIOUS = b'{"text": "Travail d\xc3\xa9j\xc3\xa0 fait.", "answer": "accept"}\n'
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
runner = CliRunner()


@dataclass(frozen=True)
class Case:
    """`build(tmp)` writes the hostile input and returns (extra arguments, the path the message
    must name); `command` runs it with the usual outputs around (see `_argv`)."""

    command: str
    build: Callable[[Path], tuple[list[str], Path | str]]
    phrase: str  # a key phrase of the message
    line: int | None = None  # the line the message names, when it names one
    root_ok: bool = True  # False: a permission case (root runs it in a user namespace)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def source(name: str, data: bytes, *extra: str) -> Callable[[Path], tuple[list[str], Path]]:
    """The hostile file is the command's input (`extra`: options such as --format)."""

    def build(tmp: Path) -> tuple[list[str], Path]:
        path = _write(tmp / name, data)
        return [str(path), *extra], path

    return build


def made(
    make: Callable[[Path], Path], *extra: str, named: Callable[[Path], Path] | None = None
) -> Callable[[Path], tuple[list[str], Path]]:
    """The input is built by `make(tmp)` (a folder, a FIFO...); the message names `named(tmp)`
    (default: the input itself)."""

    def build(tmp: Path) -> tuple[list[str], Path]:
        path = make(tmp)
        return [str(path), *extra], named(tmp) if named else path

    return build


def option(flag: str, name: str, data: bytes) -> Callable[[Path], tuple[list[str], Path]]:
    """The hostile file is given to `flag` (--patterns, --learn-from); the input is good."""
    return option_path(flag, lambda tmp: _write(tmp / name, data))


def option_path(
    flag: str, make: Callable[[Path], Path]
) -> Callable[[Path], tuple[list[str], Path]]:
    """As `option`, with the path built by `make(tmp)` (a FIFO, a folder...)."""

    def build(tmp: Path) -> tuple[list[str], Path]:
        good = _write(tmp / "good.jsonl", GOOD)
        path = make(tmp)
        return [str(good), flag, str(path)], path

    return build


# --- building blocks -----------------------------------------------------------------------

LS_TASK = {"id": 2, "data": {"text": "Jean Dupont"}, "annotations": [{"id": 7, "result": []}]}


def label_studio(task: dict[str, object], value: dict[str, object]) -> bytes:
    """A Label Studio export, one task a line: `task` with one region, then a good task (first:
    the error comes before anything loads the tokenizer)."""
    region = {"id": "r1", "from_name": "label", "to_name": "text", "type": "labels"}
    bad = orjson.loads(orjson.dumps(task))
    bad["annotations"][0]["result"] = [region | {"value": value}]
    good = {"id": 1, "data": {"text": "Paul"}, "annotations": []}
    return b"[\n" + orjson.dumps(bad) + b",\n" + orjson.dumps(good) + b"\n]\n"


def fifo(tmp: Path, name: str = "in.jsonl") -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def brat(tmp: Path, ann: bytes, txt: bytes = b"Jean Dupont est l\xc3\xa0.") -> Path:
    folder = tmp / "brat"
    _write(folder / "a.txt", txt)
    _write(folder / "a.ann", ann)
    return folder


def symlink(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


def unix_socket(tmp: Path) -> Path:
    path = tmp / "in.jsonl"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    sock.close()  # the socket file stays
    return path


def folder(tmp: Path) -> Path:
    path = tmp / "pat"
    path.mkdir()
    return path


def unreadable(path: Path) -> Path:
    """No permission at all. As root, the file also belongs to a user that `_unprivileged`
    leaves unmapped, so that root in a user namespace has no right over it."""
    path.chmod(0)
    if AS_ROOT:
        os.chown(path, UNMAPPED, UNMAPPED, follow_symlinks=False)
    return path


UNMAPPED = 54321


@functools.cache
def can_unshare() -> bool:
    """Whether root may run a command in a user namespace (not in every container)."""
    try:
        return subprocess.run(["unshare", "-U", "-r", "true"], timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _unprivileged(args: list[str]) -> tuple[int, str, str]:
    """Root runs the command in a user namespace, where it has no right over files it does not
    map (the permission cases): the real console script, so a subprocess."""
    proc = subprocess.run(
        ["unshare", "-U", "-r", sys.executable, "-m", "tui", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


def parquet(
    name: str, rows: list[dict[str, object]], features: object = None
) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = getattr(features, "arrow_schema", None)
        path = tmp / name
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
        return path

    return make


def tagged_parquet(tmp: Path) -> Path:
    import datasets

    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "B-PER", "I-PER"])),
        }
    )
    return parquet("tags.parquet", [{"tokens": ["Jean", "Dupont"], "ner_tags": [1, 7]}], features)(
        tmp
    )


def hf_folder(files: dict[str, bytes]) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        folder = tmp / "hf"
        for name, data in files.items():
            _write(folder / name, data)
        return folder

    return make


def deep_pretty_json(tmp: Path) -> Path:
    depth = 100_000
    return _write(tmp / "deep.json", b"[\n" + b"[" * depth + b"]" * depth + b"\n]\n")


def huge_line(tmp: Path) -> Path:
    path = tmp / "huge.jsonl"
    with open(path, "wb") as fh:
        fh.write(b'{"text": "' + b"a" * 40_000_000 + b'"}\n')
        fh.write(GOOD)
    return path


def doccano(*lines: object) -> bytes:
    return b"".join(orjson.dumps(x) + b"\n" for x in lines)


LATIN1_JSONL = GOOD + '{"text": "Café de la Gare"}\n'.encode("latin-1")
PRETTY_LATIN1 = '[\n  {"text": "Café", "label": [[0, 4, "ORG"]]}\n]\n'.encode("latin-1")
CONLL_LATIN1 = "Jean B-PER\nDupont I-PER\nà O\nParis B-LOC\n".encode("latin-1")
PATTERN_OVERFLOW = b'{"label": "ORG", "pattern": [{"TEXT": {"REGEX": "a{99999999999}"}}]}\n'
PATTERN_UNCLOSED = b'{"label": "ORG", "pattern": [{"LOWER": {"REGEX": "(("}}]}\n'
UTF16_TEXT = '{"text": "Jean Dupont"}\n'
TEXT = "Jean Dupont"

CASES: dict[str, Case] = {
    # --- encodings: named, never "cannot tell the format" ---------------------------------
    "jsonl UTF-16 with BOM": Case(
        "stats", source("in.jsonl", UTF16_TEXT.encode("utf-16")), "UTF-16 (byte-order mark)"
    ),
    "jsonl UTF-16 LE without BOM": Case(
        "validate", source("in.jsonl", UTF16_TEXT.encode("utf-16-le")), "looks like UTF-16"
    ),
    "jsonl UTF-16 BE with BOM, --format jsonl": Case(
        "convert",
        source("in.jsonl", b"\xfe\xff" + UTF16_TEXT.encode("utf-16-be"), "--format", "jsonl"),
        "UTF-16 (byte-order mark)",
    ),
    "jsonl latin-1": Case(
        "validate", source("in.jsonl", LATIN1_JSONL), "looks like latin-1 / cp1252", line=2
    ),
    "jsonl latin-1, suggest": Case(
        "suggest", source("in.jsonl", LATIN1_JSONL), "looks like latin-1 / cp1252", line=2
    ),
    "txt UTF-16": Case("convert", source("a.txt", TEXT.encode("utf-16")), "UTF-16"),
    "txt UTF-32 with BOM": Case(
        "stats", source("a.txt", TEXT.encode("utf-32")), "UTF-32 (byte-order mark)"
    ),
    "brat .ann in latin-1": Case(
        "convert",
        made(
            lambda t: brat(
                t, "T1\tPER 0 11\tJean Dupont\n#1\tAnnotatorNotes T1\tvu à\n".encode("latin-1")
            ),
            named=lambda t: t / "brat" / "a.ann",
        ),
        "looks like latin-1 / cp1252",
        line=2,
    ),
    "brat .txt in cp1252": Case(
        "stats",
        made(
            lambda t: brat(t, b"T1\tPER 0 4\tJean\n", "Jean l’a dit.".encode("cp1252")),
            named=lambda t: t / "brat" / "a.txt",
        ),
        "looks like latin-1 / cp1252",
        line=1,
    ),
    "doccano pretty JSON in latin-1": Case(
        "convert", source("in.json", PRETTY_LATIN1), "looks like latin-1 / cp1252", line=2
    ),
    "conll in latin-1": Case(
        "agree", source("b.conll", CONLL_LATIN1), "looks like latin-1 / cp1252", line=3
    ),
    "patterns in latin-1": Case(
        "suggest",
        option(
            "--patterns", "p.jsonl", '{"label": "LOC", "pattern": "Orléans"}\n'.encode("latin-1")
        ),
        "looks like latin-1 / cp1252",
        line=1,
    ),
    "learn-from in UTF-16": Case(
        "annotate",
        option("--learn-from", "l.jsonl", UTF16_TEXT.encode("utf-16")),
        "UTF-16 (byte-order mark)",
    ),
    "gzip file": Case("stats", source("in.jsonl.gz", b"\x1f\x8b\x08\x00\x00"), "gzip"),
    "truncated gzip, --format jsonl": Case(
        "convert", source("in.jsonl.gz", b"\x1f\x8b\x08", "--format", "jsonl"), "gzip"
    ),
    "zip archive": Case("validate", source("in.jsonl", b"PK\x03\x04\x14\x00"), "zip"),
    # --- file types and permissions: refused by stat, never opened blindly ----------------
    "FIFO": Case("validate", made(fifo), "is a FIFO, not a regular file"),
    "FIFO, stats": Case("stats", made(fifo), "is a FIFO, not a regular file"),
    "FIFO, annotate": Case("annotate", made(fifo), "is a FIFO, not a regular file"),
    "FIFO, annotate --format jsonl": Case(
        "annotate", made(fifo, "--format", "jsonl"), "is a FIFO, not a regular file"
    ),
    "FIFO .txt": Case("convert", made(lambda t: fifo(t, "a.txt")), "is a FIFO"),
    "FIFO .parquet": Case("convert", made(lambda t: fifo(t, "a.parquet")), "is a FIFO"),
    "FIFO .ann in a brat folder": Case(
        "convert",
        made(
            lambda t: fifo(brat(t, b"T1\tPER 0 4\tJean\n"), "b.ann").parent,
            named=lambda t: t / "brat" / "b.ann",
        ),
        "is a FIFO",
    ),
    "FIFO .txt beside a brat .ann": Case(
        "export",
        made(
            lambda t: (
                (
                    _write(t / "brat" / "a.ann", b"T1\tPER 0 4\tJean\n"),
                    fifo(t, "brat/a.txt"),
                )[1].parent
            ),
            named=lambda t: t / "brat" / "a.txt",
        ),
        "is a FIFO",
    ),
    "FIFO in a folder of .txt": Case(
        "stats",
        made(
            lambda t: (_write(t / "arts" / "a.txt", b"Jean."), fifo(t, "arts/sub/b.txt"))[0].parent,
            named=lambda t: t / "arts" / "sub" / "b.txt",
        ),
        "is a FIFO",
    ),
    "FIFO as --patterns": Case(
        "suggest",
        option_path("--patterns", lambda t: fifo(t, "p.jsonl")),
        "is a FIFO",
    ),
    "FIFO as --labels": Case(
        "export",
        option_path("--labels", lambda t: fifo(t, "p.jsonl")),
        "cannot read label scheme: is a FIFO",
    ),
    "FIFO as --keymap": Case(
        "annotate",
        option_path("--keymap", lambda t: fifo(t, "p.jsonl")),
        "cannot read keymap: is a FIFO",
    ),
    "character device": Case("stats", lambda t: (["/dev/null"], "/dev/null"), "character device"),
    "socket": Case("validate", made(unix_socket), "is a socket"),
    "folder as --patterns": Case(
        "suggest",
        option_path("--patterns", folder),
        "is a folder, not a file",
    ),
    "nonexistent path": Case(
        "convert", lambda t: ([str(t / "nope.jsonl")], t / "nope.jsonl"), "no such file"
    ),
    "broken symlink": Case(
        "stats",
        made(lambda t: symlink(t / "in.jsonl", t / "gone.jsonl")),
        "broken symbolic link",
    ),
    "symlink loop": Case(
        "validate",
        made(lambda t: symlink(t / "a.jsonl", t / "a.jsonl")),
        "symbolic link loop",
    ),
    "unreadable file": Case(
        "stats",
        made(lambda t: unreadable(_write(t / "in.jsonl", GOOD))),
        "permission denied",
        root_ok=False,
    ),
    "unreadable file, validate": Case(
        "validate",
        made(lambda t: unreadable(_write(t / "in.jsonl", GOOD))),
        "permission denied",
        root_ok=False,
    ),
    "unreadable .ann in a brat folder": Case(
        "convert",
        made(
            lambda t: unreadable(brat(t, b"T1\tPER 0 4\tJean\n") / "a.ann").parent,
            named=lambda t: t / "brat" / "a.ann",
        ),
        "permission denied",
        root_ok=False,
    ),
    "unreadable subfolder in a folder of .txt": Case(
        "stats",
        made(
            lambda t: unreadable(_write(t / "arts" / "sub" / "b.txt", b"Jean.").parent).parent,
            named=lambda t: t / "arts" / "sub",
        ),
        "permission denied",
        root_ok=False,
    ),
    # --- size and structure ---------------------------------------------------------------
    "empty file": Case("convert", source("in.jsonl", b""), "empty"),
    "only whitespace": Case("stats", source("in.jsonl", b"  \n\t\r\n\n"), "empty"),
    "40 MB single line": Case("convert", made(huge_line), "over the 16 MB limit", line=1),
    "deeply nested pretty JSON": Case("convert", made(deep_pretty_json), "nested too deeply"),
    "deeply nested JSONL line": Case(
        "validate",
        source("in.jsonl", b'{"text": "a", "meta": ' + b"[" * 5000 + b"]" * 5000 + b"}\n"),
        "invalid JSON",
        line=1,
    ),
    "JSONL meta nested 300 deep (read, but not writable)": Case(
        "convert",
        source("in.jsonl", b'{"text": "a", "meta": {"x": ' + b"[" * 300 + b"]" * 300 + b"}}\n"),
        "'meta' is nested more than 200 levels deep",
        line=1,
    ),
    "doccano extra key nested 300 deep": Case(
        "suggest",
        source(
            "in.jsonl",
            GOOD_DOCCANO + b'{"text": "a", "label": [], "x": ' + b"[" * 300 + b"]" * 300 + b"}\n",
        ),
        "nested more than 200 levels deep",
        line=2,
    ),
    "empty pretty JSON array": Case("convert", source("in.json", b"[\n]\n"), "no records"),
    "NaN in pretty doccano JSON": Case(
        "convert",
        source("in.json", b'[\n  {"text": "Jean", "label": [[NaN, 4, "PER"]]}\n]\n'),
        "NaN",
        line=2,
    ),
    "NaN in JSONL": Case(
        "validate", source("in.jsonl", b'{"text": "Jean", "score": NaN}\n'), "invalid JSON", line=1
    ),
    "lone surrogate in pretty doccano JSON": Case(
        "convert",
        source("in.json", b'[\n  {"text": "Jean \\ud800", "label": []}\n]\n'),
        "surrogate",
        line=2,
    ),
    "truncated pretty JSON": Case(
        "stats", source("in.json", b'[\n  {"text": "Jean", "label": [[0, 4'), "invalid JSON"
    ),
    "huge integer offsets, doccano": Case(
        "convert",
        source(
            "in.jsonl",
            GOOD_DOCCANO + b'{"text": "Jean", "label": [[0, 1' + b"0" * 30 + b', "PER"]]}\n',
        ),
        "must be integers",
        line=2,
    ),
    "huge integer offsets, pretty doccano": Case(
        "convert",
        source(
            "in.json", b'[\n  {"text": "Jean", "label": [[0, 1' + b"0" * 30 + b', "PER"]]}\n]\n'
        ),
        "out of range",
        line=2,
    ),
    "negative offsets, doccano": Case(
        "export",
        source("in.jsonl", doccano({"text": TEXT, "label": [[-1, 4, "PER"]]})),
        "out of range",
        line=1,
    ),
    # --- types, strictly: a boolean is not an offset, nor is 3.0 --------------------------
    "doccano boolean offsets": Case(
        "convert",
        source("in.jsonl", GOOD_DOCCANO + doccano({"text": TEXT, "label": [[False, True, "PER"]]})),
        "must be integers",
        line=2,
    ),
    "doccano float offsets": Case(
        "validate",
        source("in.jsonl", doccano({"text": TEXT, "label": [[0.0, 4.0, "PER"]]})),
        "must be integers",
        line=1,
    ),
    "doccano annotations that are not objects": Case(
        "convert",
        source("in.jsonl", doccano({"text": TEXT, "annotations": ["PER"]})),
        "annotations[1]: expected an object",
        line=1,
    ),
    "doccano annotations with boolean offsets": Case(
        "stats",
        source(
            "in.jsonl",
            doccano(
                {
                    "text": TEXT,
                    "annotations": [{"start_offset": True, "end_offset": 4, "label": "PER"}],
                }
            ),
        ),
        "must be integers",
        line=1,
    ),
    "doccano annotations with a null user": Case(
        "convert",
        source(
            "in.jsonl",
            doccano(
                {
                    "text": TEXT,
                    "annotations": [
                        {"start_offset": 0, "end_offset": 4, "label": "PER", "user_name": None}
                    ],
                }
            ),
        ),
        "'user_name' must be a string",
        line=1,
    ),
    "doccano entities that are not objects": Case(
        "agree",
        source("b.jsonl", doccano({"text": TEXT, "entities": [[0, 4, "PER"]]})),
        "entities[1]: expected an object",
        line=1,
    ),
    "doccano entities with boolean offsets": Case(
        "export",
        source(
            "in.jsonl",
            doccano(
                {
                    "text": TEXT,
                    "entities": [{"start_offset": 0, "end_offset": True, "label": "PER"}],
                }
            ),
        ),
        "must be integers",
        line=1,
    ),
    "Label Studio JSON cut short": Case(
        "convert",
        source("ls.json", b'[{"id": 1, "data": {"text": "Jean"}, "annotations": [{"result": [{'),
        "invalid JSON",
        line=1,
    ),
    "Label Studio offsets beyond the text": Case(
        "stats",
        source("ls.json", label_studio(LS_TASK, {"start": 0, "end": 90, "labels": ["PER"]})),
        'task 2, annotation 7, result "r1": offsets 0-90 are out of range',
        line=2,
    ),
    "Label Studio value.text that is not the text there": Case(
        "agree",
        source(
            "ls.json",
            label_studio(LS_TASK, {"start": 0, "end": 4, "text": "Paul", "labels": ["PER"]}),
        ),
        'text "Paul" does not match the text at 0-4 ("Jean")',
        line=2,
    ),
    "Label Studio results none of which is labels": Case(
        "validate",
        source(
            "ls.json",
            b'[{"data": {"text": "Jean"}, "annotations": [{"result": [{"type": "choices", '
            b'"value": {"choices": ["A"]}}]}]}]',
        ),
        "no labels result, only 1 choices result:",
    ),
    "Label Studio JSON_MIN offsets that are not integers": Case(
        "export",
        source(
            "min.json",
            b'[\n{"text": "Jean", "annotator": 1, "label": [{"start": 0, "end": "4", "labels": ["PER"]}]}\n]',
        ),
        "must be integers",
        line=2,
    ),
    "--from labelstudio on a doccano file": Case(
        "convert",
        source("in.json", GOOD_DOCCANO, "--from", "labelstudio"),
        "not a Label Studio task",
        line=1,
    ),
    "JSONL boolean span offsets": Case(
        "convert",
        source(
            "in.jsonl",
            doccano({"text": TEXT, "spans": [{"start": False, "end": 4, "label": "PER"}]}),
        ),
        "must be integers",
        line=1,
    ),
    "JSONL boolean _input_hash": Case(
        "stats",
        source("in.jsonl", doccano({"text": TEXT, "_input_hash": True})),
        "must be an integer",
        line=1,
    ),
    "JSONL token 'ws' not a boolean": Case(
        "validate",
        source(
            "in.jsonl",
            doccano(
                {
                    "text": "Jean",
                    "tokens": [{"text": "Jean", "start": 0, "end": 4, "id": 0, "ws": "yes"}],
                }
            ),
        ),
        "'ws' must be a boolean",
        line=1,
    ),
    "brat offsets in non-ASCII digits": Case(
        "convert",
        made(
            lambda t: brat(t, "T1\tPER ٠ ٤\tJean\n".encode()), named=lambda t: t / "brat" / "a.ann"
        ),
        "bad offsets",
        line=1,
    ),
    "HF parquet span missing a key": Case(
        "convert",
        made(parquet("a.parquet", [{"text": TEXT, "spans": [{"start": 0, "label": "PER"}]}])),
        "missing 'end'",
        line=1,
    ),
    "HF parquet span beyond the text": Case(
        "convert",
        made(
            parquet(
                "a.parquet", [{"text": TEXT, "spans": [{"start": 0, "end": 99, "label": "PER"}]}]
            )
        ),
        "out of range",
        line=1,
    ),
    "HF parquet negative span": Case(
        "export",
        made(
            parquet(
                "a.parquet", [{"text": TEXT, "spans": [{"start": -3, "end": 4, "label": "PER"}]}]
            )
        ),
        "out of range",
        line=1,
    ),
    "HF parquet boolean span offsets": Case(
        "validate",
        made(
            parquet(
                "a.parquet",
                [{"text": TEXT, "spans": [{"start": False, "end": True, "label": "PER"}]}],
            )
        ),
        "must be integers",
        line=1,
    ),
    "HF parquet tokens that are not strings": Case(
        "stats",
        made(parquet("a.parquet", [{"tokens": [1, 2], "ner_tags": ["O", "O"]}])),
        "'tokens' must be a list of strings",
        line=1,
    ),
    "HF parquet meta that is not an object": Case(
        "convert",
        made(parquet("a.parquet", [{"text": TEXT, "meta": "[1, 2]"}])),
        "'meta' must be a JSON object",
        line=1,
    ),
    "HF tag index beyond the ClassLabel names": Case(
        "convert", made(tagged_parquet), "not a tag index", line=1
    ),
    "HF bad dataset_dict.json": Case(
        "convert",
        made(
            hf_folder({"dataset_dict.json": b'{"splits": ["train"'}),
            named=lambda t: t / "hf" / "dataset_dict.json",
        ),
        "invalid JSON",
    ),
    "HF dataset_dict.json naming a missing split": Case(
        "stats",
        made(
            hf_folder({"dataset_dict.json": b'{"splits": ["train"]}'}),
            named=lambda t: t / "hf" / "dataset_dict.json",
        ),
        "split 'train' is listed but there is no folder",
    ),
    "HF state.json garbage": Case(
        "validate",
        made(hf_folder({"state.json": b"nope"}), named=lambda t: t / "hf" / "state.json"),
        "invalid JSON",
    ),
    "HF saved folder without its data": Case(
        "export",
        made(
            hf_folder(
                {
                    "state.json": b'{"_data_files": [{"filename": "data.arrow"}]}',
                    "dataset_info.json": b"{}",
                }
            )
        ),
        "not a readable Hugging Face dataset",
    ),
    "HF parquet that is not parquet": Case(
        "convert",
        made(lambda t: _write(t / "a.parquet", b"PAR1 not really")),
        "not a readable parquet file",
    ),
    # --- patterns: every regular expression compiles, or file:line says why -----------------
    "patterns regex repetition too large": Case(
        "suggest",
        option("--patterns", "p.jsonl", PATTERN_OVERFLOW),
        "not a valid regular expression",
        line=1,
    ),
    "patterns regex unclosed, annotate": Case(
        "annotate",
        option("--patterns", "p.jsonl", PATTERN_UNCLOSED),
        "not a valid regular expression",
        line=1,
    ),
}


def _app(command: str) -> object:
    if command == "annotate":
        from tui.cli import build

        return build()
    from annotations.cli.app import build_app

    return build_app()


def _argv(case: Case, tmp: Path) -> tuple[list[str], str]:
    """The command line for a case, and the path its message must name. Outputs that exist
    before: OUT.jsonl (replaced only with --force, appended by suggest and annotate) and an
    earlier export in OUT/ (replaced only with --force)."""
    extra, named = case.build(tmp)
    out = tmp / "out.jsonl"
    _write(out, PRECIOUS)
    export = tmp / "export"
    _write(export / ".relecture-export.json", b'{"format": "jsonl"}\n')
    _write(export / "train.jsonl", PRECIOUS)
    if case.command == "validate":
        args = ["validate", *extra]
    elif case.command == "stats":
        args = ["stats", *extra]
    elif case.command == "convert":
        args = ["convert", *extra, "-o", str(out), "--force"]
    elif case.command == "suggest":
        args = ["suggest", *extra, "-o", str(out), "--model", "none"]
    elif case.command == "agree":
        args = ["agree", str(_write(tmp / "a.jsonl", GOOD)), *extra]
    elif case.command == "export":
        args = ["export", *extra, "-o", str(export), "--format", "jsonl", "--force"]
    elif case.command == "annotate":
        args = ["annotate", *extra, "-o", str(out), "--annotator", "ann", "--model", "none"]
    else:
        raise AssertionError(case.command)
    return args, str(named)


def _snapshot(root: Path) -> dict[str, str]:
    """Every regular file under root (the hostile input included) and a hash of its bytes."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink() and os.access(path, os.R_OK):
                out[str(path)] = hashlib.blake2b(path.read_bytes()).hexdigest()
            else:
                out[str(path)] = "(not a readable regular file)"
    return out


class Hang(Exception):
    pass


@pytest.fixture
def alarm() -> Iterator[None]:
    """A blocking open (a FIFO opened blindly) fails the test instead of hanging the suite."""

    def ring(signum: int, frame: FrameType | None) -> None:
        raise Hang("the command blocked: a FIFO or device was opened for reading")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(tmp_path: Path, name: str, alarm: None) -> None:
    check_case(CASES[name], tmp_path)


def check_case(case: Case, tmp_path: Path) -> None:
    """Run `case` and check it ends as its one line, exit 1, with every file left as it was
    (other test files hold cases of their own formats)."""
    if AS_ROOT and not case.root_ok and not can_unshare():
        pytest.skip("root reads files whatever their permissions (and cannot unshare)")
    args, where = _argv(case, tmp_path)
    before = _snapshot(tmp_path)
    try:
        if AS_ROOT and not case.root_ok:
            code, stdout, stderr = _unprivileged(args)
        else:
            result = runner.invoke(_app(case.command), args)  # type: ignore[arg-type]
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                f"{type(result.exception).__name__}: {result.exception}"
            )
            code, stdout, stderr = result.exit_code, result.stdout, result.stderr
        after = _snapshot(tmp_path)
    finally:
        for path in tmp_path.rglob("*"):  # let pytest clean up what was made unreadable
            if not path.is_symlink():
                path.chmod(0o755)
    assert "Traceback" not in stdout + stderr
    assert code == 1, stdout + stderr
    at = rf"{re.escape(where)}:{case.line}" if case.line else rf"{re.escape(where)}(:\d+)?"
    if case.command == "validate":  # problems on stdout, as documented; the count on stderr
        lines = stdout.splitlines()
        assert len(lines) == 1, stdout + stderr
        assert re.fullmatch(rf"{at}: .+", lines[0]), lines[0]
        assert re.fullmatch(r"1 problem in \d+ file\(s\)", stderr.strip()), stderr
    else:
        lines = stderr.splitlines()
        assert len(lines) == 1, stdout + stderr
        assert re.fullmatch(rf"error: {at}: .+", lines[0]), lines[0]
        assert stdout == ""
    message = lines[0].split(f"{where}", 1)[1]  # what is wrong (the path may hold the phrase)
    assert case.phrase in message, lines[0]
    assert after == before  # inputs, outputs, earlier export: untouched; no leftovers


def test_at_least_forty_cases_across_formats_and_commands() -> None:
    assert len(CASES) >= 40
    assert {c.command for c in CASES.values()} == {
        "validate",
        "stats",
        "convert",
        "suggest",
        "agree",
        "export",
        "annotate",
    }


def test_fifo_from_the_console_script_does_not_hang(tmp_path: Path) -> None:
    """The real entry point (no CliRunner): a FIFO is refused at once."""
    path = fifo(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == f"{path}: is a FIFO, not a regular file\n"
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + GOOD,  # a UTF-8 byte-order mark
        GOOD.replace(b"\n", b"\r\n") * 2,  # CRLF
        b'{"text": "Jean", "text": "Jean Dupont"}\n',  # duplicate keys: the last wins, as in JS
    ],
    ids=["BOM", "CRLF", "duplicate keys"],
)
def test_handled_rather_than_refused(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path / "in.jsonl", data)
    result = runner.invoke(_app("validate"), ["validate", str(path)])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
