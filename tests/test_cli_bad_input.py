"""Bad input: every case gets `file:line: message` and exit 1 (or is handled, for BOM and CRLF);
never a traceback; an existing output file is never modified."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotations.cli.app import build_app

REPO = Path(__file__).resolve().parents[1]
GOOD = b'{"text": "Meta recrute chez OpenAI.", "spans": [{"start": 0, "end": 4, "label": "ORG"}]}'
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(build_app(), list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def span(s: int, e: int, label: str = "ORG") -> dict[str, object]:
    return {"start": s, "end": e, "label": label}


def line(**record: object) -> bytes:
    return orjson.dumps(record)


BAD_LINES = {
    "invalid JSON": (b'{"text": "Meta",', "invalid JSON"),
    "non-object line": (b"[1, 2, 3]", "expected a JSON object, got array"),
    "missing text": (line(meta={"source": "x"}), "missing 'text'"),
    "non-string text": (line(text=42), "'text' must be a string, got integer"),
    "empty text": (line(text=""), "'text' is empty"),
    "span out of range": (line(text="Meta", spans=[span(0, 40)]), "out of range"),
    "end before start": (line(text="Meta recrute", spans=[span(5, 2)]), "must be after start"),
    "end equals start": (line(text="Meta recrute", spans=[span(4, 4)]), "must be after start"),
    "overlapping spans": (
        line(text="Meta recrute chez OpenAI", spans=[span(0, 12), span(5, 12, "PER")]),
        "overlapping spans",
    ),
    "unknown label": (line(text="Meta", spans=[span(0, 4, "COMPANY")]), "unknown label 'COMPANY'"),
    "non-UTF-8 bytes": (b'{"text": "caf\xe9"}', "not valid UTF-8"),
    "NUL byte": (b'{"text": "Me\x00ta"}', "NUL byte"),
    "bad answer": (line(text="Meta", answer="yes"), "'answer' must be one of"),
    "token text mismatch": (
        line(text="Meta", tokens=[{"text": "Mexa", "start": 0, "end": 4, "id": 0}]),
        "does not match",
    ),
    "spans not a list": (
        line(
            text="Meta recrute",
            tokens=[
                {"text": "Meta", "start": 0, "end": 4, "id": 0},
                {"text": "recrute", "start": 5, "end": 12, "id": 1},
            ],
            spans={"start": 0, "end": 4, "label": "ORG", "token_start": 1, "token_end": 1},
        ),
        "'spans' must be an array",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_bad_line_is_reported_with_its_location(tmp_path: Path, case: str) -> None:
    raw, expected = BAD_LINES[case]
    path = tmp_path / "in.jsonl"
    path.write_bytes(GOOD + b"\n" + raw + b"\n" + GOOD + b"\n")
    code, output = run("validate", str(path))
    assert code == 1
    assert f"{path}:2: " in output
    assert expected in output
    assert f"{path}:1:" not in output and f"{path}:3:" not in output


# convert keeps any label and overlaps (validate is the scheme check): those two are not refused
@pytest.mark.parametrize("case", sorted(set(BAD_LINES) - {"unknown label", "overlapping spans"}))
def test_convert_refuses_bad_input_and_leaves_output_alone(tmp_path: Path, case: str) -> None:
    raw, _ = BAD_LINES[case]
    src = tmp_path / "in.jsonl"
    src.write_bytes(GOOD + b"\n" + raw + b"\n")
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"precious work\n")
    code, output = run("convert", str(src), "-o", str(out), "--force")
    assert code == 1
    assert f"{src}:2: " in output
    assert out.read_bytes() == b"precious work\n"
    assert set(tmp_path.iterdir()) == {src, out}  # no temporary file left behind


def test_span_token_indices_must_match_offsets(tmp_path: Path) -> None:
    rec = {
        "text": "Meta recrute",
        "tokens": [
            {"text": "Meta", "start": 0, "end": 4, "id": 0},
            {"text": "recrute", "start": 5, "end": 12, "id": 1},
        ],
        "spans": [{"start": 0, "end": 4, "label": "ORG", "token_start": 1, "token_end": 1}],
    }
    path = tmp_path / "in.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    code, output = run("validate", str(path))
    assert code == 1 and f"{path}:1: spans[1]: tokens 1-1 cover 5-12" in output


def test_fifty_megabyte_line(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as fh:
        fh.write(GOOD + b"\n")
        fh.write(b'{"text": "' + b"a" * 50_000_000 + b'"}\n')
        fh.write(b"[]\n")
    code, output = run("validate", str(path))
    assert code == 1
    assert f"{path}:2: line is 50.0 MB, over the 16 MB limit" in output
    assert f"{path}:3: expected a JSON object" in output  # validation goes on after it


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    code, output = run("validate", str(path))
    assert code == 1 and "empty" in output and str(path) in output
    code, output = run("stats", str(path))
    assert code == 1 and "empty" in output


def test_folder_without_txt(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "notes.md").write_text("nothing here")
    code, output = run("stats", str(folder))
    assert code == 1 and f"{folder}: folder has no .txt files" in output


def test_missing_file(tmp_path: Path) -> None:
    code, output = run("stats", str(tmp_path / "nope.jsonl"))
    assert code == 1 and "no such file" in output


def test_bom_and_crlf_are_handled(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD + b"\r\n" + GOOD.replace(b"Meta", b"Kyutai") + b"\r\n")
    code, output = run("validate", str(path))
    assert code == 0, output
    out = tmp_path / "out.jsonl"
    code, output = run("convert", str(path), "-o", str(out))
    assert code == 0, output
    texts = [orjson.loads(x)["text"] for x in out.read_bytes().splitlines()]
    assert texts == ["Meta recrute chez OpenAI.", "Kyutai recrute chez OpenAI."]


def test_txt_file_problems(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"\xef\xbb\xbfMeta recrute.\r\nDeuxi\xc3\xa8me ligne.\r\n")
    code, output = run("convert", str(folder), "-o", str(tmp_path / "a.jsonl"))
    assert code == 0, output
    record = orjson.loads((tmp_path / "a.jsonl").read_bytes())
    assert record["text"] == "Meta recrute.\nDeuxième ligne.\n"
    (folder / "b.txt").write_bytes(b"ligne un\nligne deux caf\xe9\n")
    code, output = run("convert", str(folder), "-o", str(tmp_path / "b.jsonl"))
    assert code == 1 and f"{folder / 'b.txt'}:2: not valid UTF-8" in output
    (folder / "b.txt").write_bytes(b"ligne un\n\nligne \x00trois\n")
    code, output = run("stats", str(folder))
    assert code == 1 and f"{folder / 'b.txt'}:3: NUL byte" in output
    (folder / "b.txt").write_bytes(b"  \n")
    code, output = run("stats", str(folder))
    assert code == 1 and "empty article" in output


def test_convert_refuses_existing_output_without_force(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(GOOD + b"\n")
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"precious\n")
    code, output = run("convert", str(src), "-o", str(out))
    assert code == 1 and "exists; pass --force" in output
    assert out.read_bytes() == b"precious\n"


def test_real_console_script_prints_one_line_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(GOOD + b"\n{oops\n")
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout.strip().splitlines() == [
        f"{path}:2: invalid JSON: " + proc.stdout.split("invalid JSON: ")[1].strip()
    ]
