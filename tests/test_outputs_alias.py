"""An output is never an input: the same file by identity (symlinks, hard links, other spellings),
an output inside an input folder or an input inside an output folder are refused by every command
that writes, with one line and exit 1, before anything is opened for writing; the input is left
byte-identical."""

from __future__ import annotations

import errno
import os
import re
import signal
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotations.outputs import (
    Input,
    OutputError,
    OutputIsInput,
    check_output,
    command_inputs,
    inputs,
    models_path,
    naming_output,
    review_side_files,
)
from tui.cli import build

runner = CliRunner()
RECORD = {
    "text": "Meta recrute chez OpenAI.",
    "spans": [{"start": 0, "end": 4, "label": "ORG"}],
    "answer": "accept",
    "_annotator_id": "alice",
}
SOURCE_BYTES = (
    orjson.dumps(RECORD) + b"\n" + orjson.dumps({**RECORD, "text": "Paris dort."}) + b"\n"
)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    path = tmp_path / "src.jsonl"
    path.write_bytes(SOURCE_BYTES)
    return path


def refused(out: Path | str, *reads: Input, **kw: object) -> str:
    with pytest.raises(OutputIsInput) as info:
        check_output(out, reads, **kw)  # type: ignore[arg-type]
    return str(info.value)


# -- the domain function -----------------------------------------------------------------------
def test_the_same_path_is_refused(src: Path) -> None:
    message = refused(src, Input(src))
    assert message.startswith(f"{src}: this output is the input {src} (the same file)")


def test_a_symlink_to_the_input_is_refused(src: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    refused(link, Input(src))
    refused(src, Input(link))  # and the other way round


def test_a_hard_link_to_the_input_is_refused(src: Path, tmp_path: Path) -> None:
    hard = tmp_path / "hard.jsonl"
    os.link(src, hard)
    assert "(the same file)" in refused(hard, Input(src))


def test_relative_and_absolute_spellings_are_one_file(
    src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    refused("../src.jsonl", Input(src))
    refused(src, Input(Path("..") / "sub" / ".." / "src.jsonl"))


def test_other_files_and_new_outputs_pass(src: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_bytes(SOURCE_BYTES)  # same content, another file
    check_output(other, [Input(src)])
    check_output(tmp_path / "new" / "out.jsonl", [Input(src)])  # does not exist yet
    check_output(src, [Input(tmp_path / "missing.jsonl")])  # the reader will say it is missing


def test_an_output_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "deep").mkdir(parents=True)
    (corpus / "a.txt").write_text("Meta recrute.")
    message = refused(corpus / "deep" / "out.jsonl", Input(corpus))  # not there yet
    assert "is inside the input folder" in message
    alias = tmp_path / "alias"
    alias.symlink_to(corpus, target_is_directory=True)
    refused(alias / "out.jsonl", Input(corpus))
    refused(corpus / "out.jsonl", Input(alias))
    check_output(tmp_path / "out.jsonl", [Input(corpus)])  # beside it is fine


def test_an_output_folder_holding_an_input_is_refused(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    data = export / "nested" / "data.jsonl"
    data.parent.mkdir()
    data.write_bytes(SOURCE_BYTES)
    assert "is inside it" in refused(export, Input(data), folder=True)
    alias = tmp_path / "alias"
    alias.symlink_to(export, target_is_directory=True)
    refused(alias, Input(data), folder=True)
    refused(export, Input(alias / "nested" / "data.jsonl"), folder=True)
    refused(export, Input(export), folder=True)  # re-exporting a folder over itself
    check_output(tmp_path / "elsewhere", [Input(data)], folder=True)


def test_learn_from_may_be_the_output_but_not_its_draft(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(SOURCE_BYTES)
    check_output(out, command_inputs(src, learn_from=[out]))  # read whole before OUT is opened
    refused(out, *command_inputs(out, learn_from=[out]))  # the source never
    draft, *_ = review_side_files(out)
    draft.write_bytes(b"{}")
    assert "its side file" in refused(
        out, *inputs("the --learn-from file", [draft], True), side_files=review_side_files(out)
    )


def test_the_draft_and_its_temporary_file_are_checked(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    draft, tmp, _models = review_side_files(out)
    tmp.symlink_to(src)  # the draft's temporary file is written through open()
    message = refused(out, Input(src), side_files=(draft, tmp))
    assert message.startswith(f"{out}: its side file {tmp} is the input {src}")


def test_the_models_folder_of_update_every_is_never_an_input(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    models = models_path(out)
    version = models / "v1"
    version.mkdir(parents=True)
    inside = version / "data.jsonl"
    inside.write_bytes(SOURCE_BYTES)
    sides = review_side_files(out)
    assert models in sides
    for read in (Input(inside), Input(version), Input(models)):
        refused(out, read, side_files=sides)
    alias = tmp_path / "alias"
    alias.symlink_to(models, target_is_directory=True)
    message = refused(out, Input(alias / "v1" / "data.jsonl"), side_files=sides)
    assert message.startswith(f"{out}: the input {alias}/v1/data.jsonl is inside its side file")
    check_output(out, [Input(src)], side_files=sides)


def test_every_option_file_is_named_by_its_option(src: Path, tmp_path: Path) -> None:
    for option in ("patterns", "labels", "keymap"):
        path = tmp_path / f"{option}.file"
        path.write_text("x")
        reads = command_inputs(
            src,
            patterns=[path] if option == "patterns" else [],
            labels=path if option == "labels" else None,
            keymap=path if option == "keymap" else None,
        )
        assert f"is the --{option} file {path}" in refused(path, *reads)


# -- write errors name the output --------------------------------------------------------------
def test_write_errors_name_the_output_not_the_temporary_path(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    message = rf"^{re.escape(str(out))}: cannot write: No space left on device$"
    with pytest.raises(OutputError, match=message), naming_output(out):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    scratch = tmp_path / ".out.jsonl.relecture-convert-12-abcdefgh.tmp"
    with pytest.raises(OutputError) as info, naming_output(out):
        raise PermissionError(errno.EACCES, "Permission denied", str(scratch))
    assert str(info.value) == (
        f"{out}: cannot write: Permission denied (the folder {tmp_path} must be writable)"
    )
    # about an input read meanwhile: passed on as it is
    with pytest.raises(FileNotFoundError), naming_output(out):
        raise FileNotFoundError(errno.ENOENT, "No such file", str(tmp_path / "in.jsonl"))


# -- every command refuses, exit 1, one line, the input untouched ------------------------------
def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(build(), [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def assert_refused(args: list[str | Path], *untouched: Path) -> str:
    before = {p: p.read_bytes() for p in untouched}
    code, output = run(*args)
    lines = output.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error: "), output
    assert {p: p.read_bytes() for p in untouched} == before
    return lines[0]


def annotate(src: Path | str, out: Path | str, *more: str | Path) -> list[str | Path]:
    return ["annotate", src, "-o", out, "--annotator", "alice", "--model", "none", *more]


def test_annotate_refuses_its_source_as_output(src: Path, tmp_path: Path) -> None:
    assert assert_refused(annotate(src, src), src) == (
        f"error: {src}: this output is the input {src} (the same file); write somewhere else"
    )
    hard = tmp_path / "hard.jsonl"
    os.link(src, hard)
    assert_refused(annotate(src, hard), src)
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    assert_refused(annotate(link, src), src)
    assert not Path(f"{src}.draft.json").exists()


def test_annotate_refuses_an_output_whose_draft_is_the_source(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    source = Path(f"{out}.draft.json")
    source.write_bytes(SOURCE_BYTES)
    line = assert_refused(annotate(source, out), source)
    assert "its side file" in line and not out.exists()


def test_annotate_refuses_option_files_as_output(src: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.json"
    labels.write_bytes(b'{"name": "x", "labels": [{"name": "ORG", "key": "o"}]}')
    assert "the --labels file" in assert_refused(annotate(src, labels, "--labels", labels), labels)
    patterns = tmp_path / "patterns.jsonl"
    patterns.write_bytes(b'{"label": "ORG", "pattern": "Meta"}\n')
    line = assert_refused(annotate(src, patterns, "--patterns", patterns), patterns)
    assert "the --patterns file" in line
    keymap = tmp_path / "keymap.toml"
    keymap.write_bytes(b"")
    assert "the --keymap file" in assert_refused(annotate(src, keymap, "--keymap", keymap), keymap)


def test_annotate_refuses_an_output_inside_a_text_folder(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = corpus / "a.txt"
    article.write_text("Meta recrute chez OpenAI.")
    assert "inside the input folder" in assert_refused(annotate(corpus, corpus / "x.txt"), article)
    assert sorted(p.name for p in corpus.iterdir()) == ["a.txt"]


def test_suggest_refuses_a_hard_link_to_its_input(src: Path, tmp_path: Path) -> None:
    hard = tmp_path / "hard.jsonl"
    os.link(src, hard)
    line = assert_refused(["suggest", src, "-o", hard, "--model", "none"], src)
    assert (
        line
        == f"error: {hard}: this output is the input {src} (the same file); write somewhere else"
    )
    patterns = tmp_path / "patterns.jsonl"
    patterns.write_bytes(b'{"label": "ORG", "pattern": "Meta"}\n')
    args: list[str | Path] = ["suggest", src, "-o", patterns, "--patterns", patterns]
    assert "the --patterns file" in assert_refused([*args, "--model", "none"], patterns, src)


def test_suggest_may_learn_from_its_own_output(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(orjson.dumps(RECORD) + b"\n")  # resumed: the first article is done
    code, output = run("suggest", src, "-o", out, "--model", "none", "--learn-from", out)
    assert code == 0, output
    assert len(out.read_bytes().splitlines()) == 2 and src.read_bytes() == SOURCE_BYTES


def test_convert_refuses_its_input_by_identity(src: Path, tmp_path: Path) -> None:
    hard = tmp_path / "hard.jsonl"
    os.link(src, hard)
    line = assert_refused(["convert", src, "-o", hard, "--force"], src)
    assert "(the same file)" in line
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    assert_refused(["convert", link, "-o", src, "--force", "--to", "doccano"], src)


def test_convert_refuses_an_output_inside_its_input_folder(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = corpus / "a.txt"
    article.write_text("Meta recrute chez OpenAI.")
    line = assert_refused(["convert", corpus, "-o", corpus / "b.txt"], article)
    assert "inside the input folder" in line and sorted(os.listdir(corpus)) == ["a.txt"]


def test_export_refuses_an_output_folder_holding_an_input(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("export", src, "-o", out, "-f", "jsonl")[0] == 0
    inside = out / "data.jsonl"
    inside.write_bytes(SOURCE_BYTES)
    alias = tmp_path / "alias"
    alias.symlink_to(out, target_is_directory=True)
    line = assert_refused(["export", alias / "data.jsonl", "-o", out, "--force"], inside)
    assert "is inside it" in line
    labels = out / "labels.json"
    labels.write_bytes(b'{"name": "x", "labels": [{"name": "ORG", "key": "o"}]}')
    line = assert_refused(["export", src, "-o", alias, "--force", "--labels", labels], labels)
    assert "the --labels file" in line and inside.read_bytes() == SOURCE_BYTES


@pytest.mark.parametrize("command", ["suggest", "convert", "annotate", "review"])
def test_an_output_that_is_a_fifo_is_refused_without_blocking(
    src: Path, tmp_path: Path, command: str
) -> None:
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    args: list[str | Path] = {
        "suggest": ["suggest", src, "-o", fifo, "--model", "none"],
        "convert": ["convert", src, "-o", fifo],
        "annotate": annotate(src, fifo),
        "review": ["review", src, "-o", fifo, "--curator", "lead"],
    }[command]
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("blocked on the FIFO"))
    signal.alarm(20)
    try:
        code, output = run(*args)
    finally:
        signal.alarm(0)
    assert code == 1
    assert output.strip() == f"error: {fifo}: is a FIFO, not a regular file; write somewhere else"
