"""Every string from data is shown literally, in every command's output and in the review screen:
labels, span sources, annotator ids, scheme names and file names holding escape sequences (clear
screen, OSC title, BEL, blink, C1 CSI, right-to-left override) or Rich markup never reach the
terminal as such. No control byte gets out, `[bold]` is shown as typed, a stray `[/]` is two
characters (not a MarkupError)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import orjson
import pytest
from rich.text import Text
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.labels import Label, LabelScheme, load_scheme
from annotations.records import Record
from annotations.review.session import ReviewSession
from annotations.store.writer import JsonlWriter
from annotations.text_safety import glyph, literal, safe_json, safe_text
from tui.app import ChainOptions, RelectureApp
from tui.widgets.spans.span_list import SpanList

# clear screen, set the window title (OSC ... BEL), blink, markup with a stray close tag, a C1
# CSI (U+009B) and a right-to-left override
H = "\x1b[2J\x1b]0;pwned\x07\x1b[5m[bold]X[/]\x9b31m\u202e"
SHOWN = "␛[2J␛]0;pwned␇␛[5m[bold]X[/]¤31m·"  # how it is drawn
LABEL, SOURCE, ANNOTATOR, OTHER = "EVIL" + H, "src" + H, "ann" + H, "bob" + H
FILE = "a\x1b]0;pwned\x07[bold]b.jsonl"  # a file name is data too

TEXT = "Meta recrute chez OpenAI ."
WORDS = [(0, 4), (5, 12), (13, 17), (18, 24), (25, 26)]
TOKENS = [{"text": TEXT[s:e], "start": s, "end": e, "id": i} for i, (s, e) in enumerate(WORDS)]

runner = CliRunner()


def unsafe(output: str) -> list[str]:
    """The characters a terminal would obey or that would reorder the line."""
    return [
        c
        for c in output
        if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0 or unicodedata.category(c) == "Cf"
    ]


def run(*args: str | Path) -> tuple[int, str]:
    # color=True: Click leaves the output as the program wrote it (else it strips some ANSI
    # sequences itself, hiding what a terminal would get); no FORCE_COLOR: Rich's own styles
    # would be escape sequences too
    env = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None}
    result = runner.invoke(build_app(), [str(a) for a in args], color=True, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def assert_literal(output: str, *shown: str) -> None:
    assert not unsafe(output), (unsafe(output), output)
    for piece in shown:
        assert piece in output, (piece, output)


def record(annotator: str = ANNOTATOR, label: str = LABEL, **extra: object) -> bytes:
    span = {"start": 0, "end": 4, "token_start": 0, "token_end": 0, "label": label}
    line = {
        "text": TEXT,
        "tokens": TOKENS,
        "spans": [{**span, "source": SOURCE, "score": 0.9}],
        "answer": "accept",
        "_annotator_id": annotator,
        **extra,
    }
    return orjson.dumps(line) + b"\n"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A file with a hostile name, label, source and annotator id."""
    path = tmp_path / FILE
    path.write_bytes(record())
    return path


# -- the one function ------------------------------------------------------------------------------


def test_safe_text_draws_as_the_article_does() -> None:
    assert safe_text(H) == SHOWN
    assert safe_text(H) == "".join(glyph(c)[0] for c in H)
    assert safe_text("Élysée — 5 € « ok »") == "Élysée — 5 € « ok »"  # plain text is untouched
    assert safe_text("a\nb\tc") == "a␊b    c"  # one line stays one line
    assert literal("[bold]x[/]").plain == "[bold]x[/]"  # a Text, never parsed as markup
    assert isinstance(literal(3, "bold"), Text)


def test_safe_json_is_the_same_json() -> None:
    value = {"label": H + "\U000e0001", "name": "é"}  # U+E0001: a format character beyond the BMP
    dumped = safe_json(orjson.dumps(value).decode())
    assert not unsafe(dumped)
    assert orjson.loads(dumped) == value


def test_annotations_shares_the_article_view_definition() -> None:
    from tui.widgets.article import layout

    assert layout.glyph is glyph  # one definition of how each character is drawn


# -- every command ---------------------------------------------------------------------------------


def test_validate(hostile: Path) -> None:
    code, out = run("validate", hostile)
    assert code == 1
    assert_literal(out, "[bold]b.jsonl:1:", "unknown label")
    code, out = run("validate", hostile.parent / ("gone" + H))
    assert code == 1
    assert_literal(out, "gone" + SHOWN + ": no such file")
    code, out = run("validate", "--any-label", hostile)
    assert code == 0
    assert_literal(out, f"{hostile.parent}/a␛]0;pwned␇[bold]b.jsonl: ok")


def test_stats(hostile: Path) -> None:
    code, out = run("stats", hostile)
    assert code == 0  # a stray [/] is no MarkupError
    assert_literal(out, "a␛]0;pwned␇[bold]b.jsonl", "EVIL" + SHOWN, "ann" + SHOWN)
    code, out = run("stats", "--json", hostile)
    assert code == 0
    assert not unsafe(out)
    report = orjson.loads(out)
    assert report["spans_per_label"] == {LABEL: 1}  # the JSON still says exactly what is there
    assert report["annotators"] == {ANNOTATOR: 1} and report["file"] == str(hostile)


def test_agree(hostile: Path, tmp_path: Path) -> None:
    other = tmp_path / "c\x1b[5m[b].jsonl"
    other.write_bytes(record(OTHER, label="X[/]"))
    code, out = run("agree", hostile, other)
    assert code == 0
    assert_literal(out, "ann" + SHOWN, "bob" + SHOWN, "X[/]", "[bold]X[/]")
    code, out = run("agree", "--json", hostile, other)
    assert code == 0 and not unsafe(out)
    assert set(orjson.loads(out)["annotators"]) == {ANNOTATOR, OTHER}


def test_convert(hostile: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "out\x1b[5m[bold].jsonl"
    code, out = run("convert", hostile, "-o", out_path)
    assert code == 0
    assert_literal(out, "out␛[5m[bold].jsonl")
    assert orjson.loads(out_path.read_bytes())["spans"][0]["label"] == LABEL  # data kept as is


def test_convert_warnings_from_a_brat_folder(tmp_path: Path) -> None:
    folder = tmp_path / "brat\x1b[5m"
    folder.mkdir()
    (folder / "x\x07[bold].txt").write_text("Meta recrute", "utf-8")
    (folder / "x\x07[bold].ann").write_text("T1\tORG 0 2;3 4\tMe a\n", "utf-8")
    code, out = run("convert", folder, "-o", tmp_path / "out.jsonl")
    assert code == 0
    assert_literal(out, "x␇[bold].ann:1: discontinuous span")
    assert out.count("discontinuous") == 1


def test_export(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "exp\x1b]0;t\x07"
    code, out = run("export", hostile, "-o", target, "--format", "jsonl")
    assert code == 1  # the label is not in the scheme: the error quotes it
    assert_literal(out, "error: ", "[bold]b.jsonl:1")
    assert out.count("\n") == 1
    code, out = run("export", hostile, "-o", target, "--format", "jsonl", "--any-label")
    assert code == 0
    assert_literal(out, "exp␛]0;t␇")


def test_suggest_and_resume(tmp_path: Path) -> None:
    source = tmp_path / FILE
    source.write_bytes(orjson.dumps({"text": TEXT, "tokens": TOKENS}) + b"\n")
    out_path = tmp_path / "sugg\x1b[5m[bold].jsonl"
    code, out = run("suggest", source, "-o", out_path, "--model", "none")
    assert code == 0
    assert_literal(out, "sugg␛[5m[bold].jsonl")
    with out_path.open("ab") as fh:
        fh.write(b'{"text": "torn')  # a crash mid-line: set aside with a warning
    code, out = run("suggest", source, "-o", out_path, "--model", "none")
    assert code == 0
    assert_literal(out, "warning: ", "resuming: 1 articles already in", "sugg␛[5m[bold].jsonl")
    assert out.count("cut off") == 1  # once, from the command (not the logger as well)


def test_a_long_output_path_is_printed_on_one_line(tmp_path: Path) -> None:
    """Rich wraps at 80 columns when stderr is not a terminal: a path cut in two cannot be
    copied or grepped (found when the suite ran under pytest-xdist, whose paths are longer)."""
    source = tmp_path / FILE
    source.write_bytes(orjson.dumps({"text": TEXT, "tokens": TOKENS}) + b"\n")
    folder = tmp_path / ("a-long-folder-name-" * 5)
    folder.mkdir()
    out_path = folder / "suggested.jsonl"
    code, out = run("suggest", source, "-o", out_path, "--model", "none")
    assert code == 0 and str(out_path) in out, out


def test_patterns_error_quotes_a_hostile_scheme_name(tmp_path: Path) -> None:
    scheme = tmp_path / "scheme\x1b[5m.json"
    scheme.write_bytes(
        orjson.dumps(
            {
                "name": "news" + H,
                "description": H,
                "labels": [{"name": "ORG", "key": "1", "colour": "#ff0000"}],
            }
        )
    )
    patterns = tmp_path / "p\x07.jsonl"
    patterns.write_bytes(orjson.dumps({"label": LABEL, "pattern": "Meta"}) + b"\n")
    source = tmp_path / "in.jsonl"
    source.write_bytes(orjson.dumps({"text": TEXT}) + b"\n")
    code, out = run(
        "suggest",
        source,
        "-o",
        tmp_path / "o.jsonl",
        "--model",
        "none",
        "--labels",
        scheme,
        "--patterns",
        patterns,
    )
    assert code == 1
    assert_literal(out, "error: ", "p␇.jsonl", "news" + SHOWN)
    assert out.count("\n") == 1
    code, out = run("validate", "--labels", scheme, tmp_path / FILE)
    assert code == 1
    assert_literal(out, "[bold]b.jsonl")


@pytest.mark.parametrize(
    "args",
    [
        ("stats", "{missing}"),
        ("agree", "{missing}", "{missing}"),
        ("convert", "{missing}", "-o", "{tmp}/o.jsonl"),
        ("export", "{missing}", "-o", "{tmp}/exp"),
        ("suggest", "{missing}", "-o", "{tmp}/o.jsonl", "--model", "none"),
        ("stats", "{bad}"),
        ("validate", "--labels", "{missing}", "{bad}"),
        ("stats", "--\x1b[2J[bold]"),
        ("--format\x1b]0;t\x07[/]",),
    ],
)
def test_error_lines(tmp_path: Path, args: tuple[str, ...]) -> None:
    bad = tmp_path / FILE
    bad.write_bytes(b'{"text": "Meta",\n')
    names = {"missing": str(tmp_path / ("gone" + H)), "bad": str(bad), "tmp": str(tmp_path)}
    code, out = run(*(a.format(**names) for a in args))
    assert code == 1
    assert out.startswith("error: ") and out.count("\n") == 1, out
    assert_literal(out)
    assert "[bold]" in out or "[/]" in out  # the name is in the line, markup as typed


def test_label_names_are_checked_strictly(tmp_path: Path) -> None:
    for name in ("PER\n", " PER", "PER ", "P\x1bR", "PE\u200bR", "PER\u202e"):
        scheme = tmp_path / ("s\x1b[2J" + ".json")
        scheme.write_bytes(
            orjson.dumps({"name": "s", "labels": [{"name": name, "key": "1", "colour": "#aa0000"}]})
        )
        code, out = run("validate", "--labels", scheme, tmp_path / "x.jsonl")
        assert code == 1
        assert out.count("\n") == 1, out
        assert_literal(out, "s␛[2J.json: label scheme: label ", repr(name))
    scheme.write_bytes(
        orjson.dumps({"name": "s", "labels": [{"name": "PER", "key": "1", "colour": "#aa0000\n"}]})
    )
    code, out = run("validate", "--labels", scheme, tmp_path / "x.jsonl")
    assert code == 1 and "'colour'" in out


def test_label_schema_refuses_a_trailing_newline() -> None:
    import jsonschema

    from annotations.schema_files import labels_schema

    good = {"name": "s", "labels": [{"name": "PER", "key": "1", "colour": "#aa0000"}]}
    jsonschema.validate(good, labels_schema())
    for field, value in (("name", "PER\n"), ("key", "1\n"), ("colour", "#aa0000\n")):
        bad = {"name": "s", "labels": [{**good["labels"][0], field: value}]}  # type: ignore[dict-item]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, labels_schema())


# -- the review screen -----------------------------------------------------------------------------


def screen_text(app: RelectureApp) -> str:
    """What the screen sends to the terminal, as text (every strip of the composited screen)."""
    update = app.screen._compositor.render_update(full=True)
    return "\n".join(
        "".join(segment.text for strip in line for segment in strip)
        for line in update.strips  # type: ignore[union-attr]
    )


def hostile_app(tmp_path: Path) -> RelectureApp:
    """A scheme whose label name and scheme name are hostile (as if loaded without its checks:
    drawing must not rely on them), a hostile annotator id and span source, a hostile file."""
    base = load_scheme()
    scheme = LabelScheme(
        name="news" + H,
        labels=(Label(LABEL, "1", "#ff0000", H), *base.labels[1:]),
        description=H,
    )
    records = [Record.from_dict(orjson.loads(record(annotator="x"))) for _ in range(2)]
    for r in records:
        r.answer = r.annotator = None
        r.suggestions, r.spans = r.spans, None
    session = ReviewSession(records, scheme, ANNOTATOR, {})
    writer = JsonlWriter(tmp_path / FILE)
    return RelectureApp(session, writer, ChainOptions(model=None))


async def test_review_screen_draws_data_literally(tmp_path: Path) -> None:
    app = hostile_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert_literal(text, "ann␛[2J", "[bold]")  # the status line and the legend
        assert "EVIL␛[2J" in text  # legend and span list
        spans = app.screen.query_one(SpanList)
        row = "".join(s.text for s in spans._render_row(0, 80))  # wide: with its source column
        assert "src␛[2J" in row and not unsafe(row)
        await pilot.press("question_mark")  # help: the label keys with their names
        await pilot.pause()
        assert_literal(screen_text(app), "EVIL␛[2J")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")  # the palette: "Label as ..."
        await pilot.pause()
        await pilot.press(*"Label as")
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert_literal(screen_text(app), "Label as EVIL␛[2J")
        await pilot.press("escape")
        await pilot.pause()


async def test_a_notice_quoting_a_hostile_file_name(tmp_path: Path) -> None:
    app = hostile_app(tmp_path)

    def full(_record: object) -> None:
        raise OSError(28, "No space left on device", str(app.writer.path))

    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.writer.append = full  # type: ignore[method-assign]
        await pilot.press("space")  # submit: the save fails, the notice names the file
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        text = screen_text(app)
        assert_literal(text, "No space left on device", "[bold]b.jsonl")
        app.notify("[bold]markup[/] \x1b[5m", markup=True)  # any notice, however it is asked
        await pilot.pause(0.2)
        assert_literal(screen_text(app), "[bold]markup[/] ␛[5m")
