"""The append-only writer: durability, the one-writer lock, torn-tail recovery, latest-wins."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from annotations.formats import read
from annotations.records import Record, Span
from annotations.store.latest import latest
from annotations.store.writer import FileLocked, JsonlWriter

REPO = Path(__file__).resolve().parents[1]


def rec(i: int, annotator: str | None = None, label: str = "ORG") -> Record:
    return Record(
        text=f"Article {i}: Meta recrute chez OpenAI.",
        spans=[Span(22, 26, label)],
        answer="accept",
        annotator=annotator,
    ).with_hashes()


def test_append_then_read_back(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with JsonlWriter(out) as w:
        for i in range(3):
            w.append(rec(i))
    assert [item.record for item in read(out)] == [rec(i) for i in range(3)]
    assert out.read_bytes().count(b"\n") == 3


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with JsonlWriter(out), pytest.raises(FileLocked, match="already open for writing"):
        JsonlWriter(out)
    JsonlWriter(out).close()  # released on close


def test_lock_is_seen_by_another_process(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with JsonlWriter(out):
        code = (
            "from annotations.store.writer import JsonlWriter, FileLocked\n"
            f"try:\n    JsonlWriter({str(out)!r})\nexcept FileLocked as e:\n    print('LOCKED', e)\n"
        )
        other = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO
        )
    assert "LOCKED" in other.stdout and str(out) in other.stdout


def test_torn_last_line_is_set_aside(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with JsonlWriter(out) as w:
        w.append(rec(1))
        w.append(rec(2))
    good = out.read_bytes()
    with open(out, "ab") as fh:
        fh.write(b'{"text": "Article 3: cut in the mid')
    with JsonlWriter(out) as w:
        assert w.torn is not None
        assert w.torn.sidecar.read_bytes() == b'{"text": "Article 3: cut in the mid'
        assert out.read_bytes() == good
        w.append(rec(3))
    assert [item.record for item in read(out)] == [rec(1), rec(2), rec(3)]


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(rec(1).to_json())
    with JsonlWriter(out) as w:
        assert w.torn is None
        w.append(rec(2))
    assert [item.record for item in read(out)] == [rec(1), rec(2)]
    assert not list(tmp_path.glob("*.torn-*"))


def test_latest_record_per_annotator_and_input(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with JsonlWriter(out) as w:
        w.append(rec(1, "alice", "ORG"))
        w.append(rec(1, "bob", "PER"))
        w.append(rec(2, "alice", "ORG"))
        w.append(rec(1, "alice", "MISC"))  # alice changes her mind on article 1
    current = latest(item.record for item in read(out))
    assert [(r.annotator, r.text[:9], r.spans[0].label) for r in current] == [  # type: ignore[index]
        ("alice", "Article 1", "MISC"),
        ("bob", "Article 1", "PER"),
        ("alice", "Article 2", "ORG"),
    ]


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys
    from annotations.records import Record, Span
    from annotations.store.writer import JsonlWriter
    w = JsonlWriter(sys.argv[1])
    i = 0
    while True:
        text = f"Article {i} " + "Meta recrute chez OpenAI. " * 400
        w.append(Record(text=text, spans=[Span(0, 7, "MISC")], answer="accept").with_hashes())
        i += 1
        if i == 20:
            print("ready", flush=True)
    """
)


def test_sigkill_mid_append_keeps_every_completed_record(tmp_path: Path) -> None:
    """A writer killed with SIGKILL while appending: reopening keeps every complete record and sets
    the torn tail aside. A slow reader thread makes a torn write likely; the test holds either way."""
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(out)], stdout=subprocess.PIPE, cwd=REPO
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    raw = out.read_bytes()
    complete_lines = raw[: raw.rfind(b"\n") + 1].splitlines()
    tail = raw[raw.rfind(b"\n") + 1 :]
    assert len(complete_lines) >= 20
    with JsonlWriter(out) as w:
        if tail:
            assert w.torn is not None and w.torn.sidecar.read_bytes() == tail
        else:
            assert w.torn is None
    records = [item.record for item in read(out)]
    assert len(records) == len(complete_lines)
    assert [r.text.split()[1] for r in records] == [str(i) for i in range(len(records))]
    assert all(orjson.loads(line)["answer"] == "accept" for line in complete_lines)


def test_sigkill_torn_write_is_recovered(tmp_path: Path) -> None:
    """Force the torn case deterministically: a child writes half a line with os.write then dies."""
    out = tmp_path / "out.jsonl"
    with JsonlWriter(out) as w:
        w.append(rec(1))
    code = (
        "import os, signal, sys\n"
        "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)\n"
        'os.write(fd, b\'{"text": "half a rec\')\n'
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(out)])
    assert proc.returncode == -signal.SIGKILL
    with JsonlWriter(out) as w:
        assert w.torn is not None
        assert w.torn.sidecar.read_bytes() == b'{"text": "half a rec'
    assert [item.record for item in read(out)] == [rec(1)]
