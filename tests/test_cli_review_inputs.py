"""Bad input to the commands that open the review screen (`relecture annotate`, `relecture demo`,
bare `relecture`): every file is checked before the screen opens and before OUT is created (one
line `error: file:line: ...`, exit 1, the app never started), with the same checks and words as
`relecture suggest`; and every command-line mistake of every command is one line and exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from tui.app import RelectureApp
from tui.cli import build

REPO = Path(__file__).resolve().parents[1]
GOOD_PATTERN = orjson.dumps({"label": "ORG", "pattern": "Meta"})
GOOD_RECORD = orjson.dumps(
    {"text": "Meta recrute.", "spans": [{"start": 0, "end": 4, "label": "ORG"}], "answer": "accept"}
)


def pattern(obj: object) -> bytes:
    return GOOD_PATTERN + b"\n" + orjson.dumps(obj) + b"\n"


# name: (option, file content (None: no file; "dir": a folder), line, what the message says)
BAD_FILES: dict[str, tuple[str, bytes | str | None, int, str]] = {
    "patterns: invalid JSON": ("--patterns", GOOD_PATTERN + b"\n{oops\n", 2, "invalid JSON"),
    "patterns: not an object": ("--patterns", pattern([1, 2]), 2, "expected an object like"),
    "patterns: no label": ("--patterns", pattern({"pattern": "x"}), 2, "'label' must be"),
    "patterns: no pattern": ("--patterns", pattern({"label": "ORG"}), 2, "'pattern' must be"),
    "patterns: label not in the scheme": (
        "--patterns",
        pattern({"label": "COMPANY", "pattern": "Meta"}),
        2,
        "label 'COMPANY' is not in the label scheme news-fr (PER, ORG,",
    ),
    "patterns: invalid regex": (
        "--patterns",
        pattern({"label": "ORG", "pattern": [{"LOWER": "la"}, {"TEXT": {"REGEX": "(Meta"}}]}),
        2,
        "invalid token pattern: token 1: TEXT REGEX '(Meta' is not a valid regular expression (missing ),",
    ),
    "patterns: attribute the tokenizer lacks": (
        "--patterns",
        pattern({"label": "ORG", "pattern": [{"LEMMA": "être"}]}),
        2,
        "invalid token pattern: token 0: LEMMA needs a lemmatizer",
    ),
    "patterns: custom attribute": (
        "--patterns",
        pattern({"label": "ORG", "pattern": [{"_": {"x": 1}}]}),
        2,
        "invalid token pattern: token 0: custom attributes ('_')",
    ),
    "patterns: bad token key": (
        "--patterns",
        pattern({"label": "ORG", "pattern": [{"LOWR": "x"}]}),
        2,
        "invalid token pattern: [pattern -> 0 -> LOWR]",
    ),
    "patterns: empty file": ("--patterns", b"", 0, "file is empty"),
    "patterns: missing file": ("--patterns", None, 0, "no such file or folder"),
    "patterns: a folder": ("--patterns", "dir", 0, "is a folder, not a file"),
    "learn-from: no known format": (
        "--learn-from",
        b"\x00\x01\x02 binary junk\n",
        1,
        "cannot tell the format of this --learn-from file (it reads jsonl, prodigy,",
    ),
    "learn-from: bad line": (
        "--learn-from",
        GOOD_RECORD + b'\n{"text": 3}\n',
        2,
        "'text' must be a string, got integer",
    ),
    "learn-from: latin-1 text": ("--learn-from", b"caf\xe9 au lait\n", 1, "not valid UTF-8"),
    "learn-from: latin-1 in a JSONL line": (
        "--learn-from",
        GOOD_RECORD + b'\n{"text": "caf\xe9"}\n',
        2,
        "not valid UTF-8 (byte 0xe9",
    ),
    "learn-from: empty file": ("--learn-from", b"", 0, "file is empty"),
    "learn-from: missing file": ("--learn-from", None, 0, "no such file or folder"),
}


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[RelectureApp]:
    """The apps that would have opened the review screen (none is run)."""
    apps: list[RelectureApp] = []
    monkeypatch.setattr(RelectureApp, "run", lambda self, *a, **k: apps.append(self))
    return apps


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(build(), [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def one_error(result: Result) -> str:
    """The single line on stderr of a failed command."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "╭" not in lines[0] and "Usage" not in lines[0]
    return lines[0]


def bad_file(tmp_path: Path, case: str) -> tuple[str, Path, str]:
    """(option, path, expected start of the error line) for a case of BAD_FILES."""
    option, content, line, message = BAD_FILES[case]
    path = tmp_path / "input.jsonl"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    where = f"{path}:{line}: " if line else f"{path}: "
    return option, path, f"error: {where}{message}"


def source(tmp_path: Path) -> Path:
    src = tmp_path / "article.txt"
    src.write_text("Meta recrute chez OpenAI.", "utf-8")
    return src


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_annotate_checks_its_files_before_the_screen_opens(
    tmp_path: Path, case: str, started: list[RelectureApp]
) -> None:
    option, path, expected = bad_file(tmp_path, case)
    out = tmp_path / "out.jsonl"
    args = ("annotate", source(tmp_path), "-o", out, "--annotator", "bob", "--model", "none")
    line = one_error(invoke(*args, option, path))
    assert line.startswith(expected), line
    assert started == [] and not out.exists()


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_suggest_gives_the_same_one_line_errors(tmp_path: Path, case: str) -> None:
    option, path, expected = bad_file(tmp_path, case)
    out = tmp_path / "out.jsonl"
    line = one_error(
        invoke("suggest", source(tmp_path), "-o", out, "--model", "none", option, path)
    )
    assert line.startswith(expected), line
    assert not out.exists()


def test_annotate_hands_what_it_read_to_the_app(
    tmp_path: Path, started: list[RelectureApp]
) -> None:
    patterns = tmp_path / "p.jsonl"
    patterns.write_bytes(GOOD_PATTERN + b"\n" + orjson.dumps({"label": "PERSON", "pattern": "X"}))
    learned = tmp_path / "learned.jsonl"
    learned.write_bytes(GOOD_RECORD + b"\n")
    out = tmp_path / "out.jsonl"
    result = invoke(
        "annotate", source(tmp_path), "-o", out, "--annotator", "bob", "--model", "none",
        "--patterns", patterns, "--learn-from", learned,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (app,) = started
    inputs = app.options.inputs
    assert inputs is not None  # the app builds its chain from these, without reading the files
    assert [(name, [p["label"] for p in ps]) for name, ps in inputs.patterns] == [
        ("patterns:p.jsonl", ["ORG", "PERSON"])  # PERSON is mapped onto PER: kept
    ]
    assert [r.text for r in inputs.learned] == ["Meta recrute."]


SOURCES: dict[str, tuple[str, bytes | str | None, str]] = {
    "every record bad": (  # (one bad line among good ones is passed over: test_review_unreadable)
        "s.jsonl",
        b'{"text": 3}\n[1]\n',
        ":1: 'text' must be a string",
    ),
    "latin-1 text": ("s.txt", b"caf\xe9\n", ":1: not valid UTF-8"),
    "missing": ("nope.jsonl", None, ": no such file or folder"),
    "empty folder": ("folder", "dir", ": folder has no .txt files"),
    "empty file": ("s.jsonl", b"", ": file is empty"),
}


@pytest.mark.parametrize("case", sorted(SOURCES))
def test_annotate_source_problems_are_one_line(
    tmp_path: Path, case: str, started: list[RelectureApp]
) -> None:
    name, content, message = SOURCES[case]
    src = tmp_path / name
    if content == "dir":
        src.mkdir()
    elif isinstance(content, bytes):
        src.write_bytes(content)
    line = one_error(invoke("annotate", src, "-o", tmp_path / "o.jsonl", "--annotator", "b"))
    assert line.startswith(f"error: {src}{message}"), line
    assert started == []


def test_annotate_bad_labels_file(tmp_path: Path, started: list[RelectureApp]) -> None:
    labels = tmp_path / "labels.json"
    args = ("annotate", source(tmp_path), "-o", tmp_path / "o.jsonl", "--annotator", "b")
    line = one_error(invoke(*args, "--labels", labels))
    assert line.startswith(f"error: {labels}: cannot read label scheme"), line
    assert started == []


COMMAND_LINE_ERRORS = [
    ["--model"],  # option without its value
    ["--bogus"],
    ["nope"],
    ["annotate"],
    ["annotate", "a.txt"],
    ["annotate", "a.txt", "-o", "o.jsonl"],
    ["suggest", "a.txt", "-o", "o.jsonl", "--n-process", "0"],
    ["suggest", "a.txt", "-o", "o.jsonl", "--n-process", "many"],
    ["stats", "--format"],
    ["validate"],
    ["export"],
    ["agree"],
    ["convert", "a.txt"],
    ["demo", "--bogus"],
    ["--model", "none", "stats", "a.txt"],  # a demo option before another command
]


@pytest.mark.parametrize("argv", COMMAND_LINE_ERRORS, ids=" ".join)
def test_command_line_errors_are_one_line_and_exit_1(
    argv: list[str], started: list[RelectureApp]
) -> None:
    line = one_error(invoke(*argv))
    assert started == []
    if argv[0] == "--model" and len(argv) > 2:
        assert "--model before 'stats' only applies to the demo" in line


def test_help_still_exits_0() -> None:
    for argv in (["--help"], ["annotate", "--help"], ["demo", "--help"], ["suggest", "--help"]):
        result = invoke(*argv)
        assert result.exit_code == 0 and "Usage" in result.stdout, argv
    assert "--model" in invoke("--help").stdout  # the bare command's (the demo's) options


def test_bare_relecture_takes_the_demo_options(tmp_path: Path, started: list[RelectureApp]) -> None:
    out = tmp_path / "demo.jsonl"
    result = invoke("--model", "none", "--annotator", "zoé", "-o", out)
    assert result.exit_code == 0, result.output
    (app,) = started
    assert app.options.model is None
    assert app.session.annotator == "zoé" and app.writer.path == out
    assert len(app.session) == 5  # the bundled demo articles


def test_bare_relecture_model_none_alone(
    tmp_path: Path, started: list[RelectureApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    result = invoke("--model", "none")
    assert result.exit_code == 0, result.output
    (app,) = started
    assert app.options.model is None and app.writer.path.parent == tmp_path / "relecture"


def test_real_entry_point_prints_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "annotate", "--bogus"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "error: No such option: --bogus (Possible options: --out) (try 'relecture annotate --help')"
    ]


async def test_app_given_unchecked_paths_shows_a_bad_file_as_a_notice(tmp_path: Path) -> None:
    """An app built with paths only (no `inputs`) checks them in its worker: a bad file is a
    notice, the session goes on (never a traceback that ends it)."""
    from tests.tui_helpers import demo_records, make_app
    from tui.app import ChainOptions

    bad = tmp_path / "p.jsonl"
    bad.write_bytes(pattern({"label": "ORG", "pattern": [{"TEXT": {"REGEX": "("}}]}))
    app = make_app(tmp_path / "out.jsonl", demo_records()[:1])
    app.options = ChainOptions(None, (bad,))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.model_state == "off"
        assert any(f"{bad}:2: invalid token pattern" in str(n.message) for n in app._notifications)


RACE = """
import asyncio, sys
from pathlib import Path
from tests.tui_helpers import demo_records, make_app
from tui.app import ChainOptions

async def main() -> None:
    app = make_app(Path(sys.argv[1]) / "out.jsonl", demo_records()[:1])
    app.options = ChainOptions(None, (Path(sys.argv[1]) / "p.jsonl",))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(500):  # the workers start after the first paint
            await app.workers.wait_for_complete()
            await pilot.pause()
            if app._fast is not None:
                break
            await asyncio.sleep(0.01)
        assert app._fast is not None

asyncio.run(main())
"""


def test_app_checks_token_patterns_while_the_tokenizer_loads(tmp_path: Path) -> None:
    """The check's spaCy imports run beside the tokenizer worker's first `import spacy` without
    breaking it (a bare `from spacy.matcher import` did: "partially initialized module
    'spacy.strings'"). In a fresh process: in this one spaCy is already imported."""
    (tmp_path / "p.jsonl").write_bytes(
        orjson.dumps({"label": "ORG", "pattern": [{"LOWER": "meta"}]}) + b"\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", RACE, str(tmp_path)], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
