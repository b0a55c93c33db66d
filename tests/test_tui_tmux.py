"""The review screen in a real terminal: tmux runs `relecture` (the demo) and `relecture annotate`
on a folder of .txt files (no tokens), keys are pressed as soon as the article's text is on the
pane, as a quick annotator would, and the saved file says what they did.

Each run has its own tmux server (`tmux -L <unique>`), killed at the end; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotations.demo import demo_path
from annotations.formats import read

REPO = Path(__file__).resolve().parents[1]
TMUX = shutil.which("tmux")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed (.ci/run installs it)"),
]

APPEAR_S = 60.0  # the first article's text on the pane
EXIT_S = 90.0  # `q` to the process gone


@dataclass
class Tmux:
    """One tmux server on a private socket, running one command in a window of a given size."""

    socket: str
    width: int
    height: int

    def __call__(self, *args: str, check: bool = True) -> str:
        assert TMUX is not None
        proc = subprocess.run(
            [TMUX, "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def start(self, command: str) -> None:
        size = ["-x", str(self.width), "-y", str(self.height)]
        self("new-session", "-d", "-s", "t", *size, "-c", str(REPO), command)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "t", check=False)

    def keys(self, *keys: str) -> None:
        for key in keys:  # one call per key: as typed, not as a paste
            self("send-keys", "-t", "t", key)

    def wait_for(self, text: str, timeout: float, ended: Path) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end and not ended.exists():
            if text in self.screen():
                return
            time.sleep(0.02)
        raise AssertionError(f"{text!r} never on the pane (ended: {ended.exists()})")


@pytest.fixture(params=[(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def tmux(request: pytest.FixtureRequest) -> Iterator[Tmux]:
    width, height = request.param
    server = Tmux(f"relecture-test-{uuid.uuid4().hex[:12]}", width, height)
    try:
        yield server
    finally:
        server("kill-server", check=False)
        tmpdir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (tmpdir / server.socket).unlink(missing_ok=True)  # tmux leaves it behind


def run_until_quit(tmux: Tmux, tmp_path: Path, args: list[str], first_text: str) -> int:
    """Run `python -m tui ARGS`, press x (reject the span under the cursor), → and Space
    (submit) the moment the first article's text shows, then q; the process's exit code."""
    rc = tmp_path / "rc"
    env = {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONPATH": str(REPO),
    }
    command = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), sys.executable])
    command += " -m tui " + shlex.join(args)  # Textual draws on stderr: left to the pane
    tmux.start(f"{command}; echo $? > {shlex.quote(str(rc))}")
    tmux.wait_for(first_text, APPEAR_S, rc)
    tmux.keys("x", "Right", "Space", "q")
    end = time.monotonic() + EXIT_S
    while not rc.exists() or not rc.read_text().strip():
        if time.monotonic() > end:
            raise AssertionError(f"still running {EXIT_S} s after q:\n{tmux.screen()}")
        time.sleep(0.05)
    return int(rc.read_text())


def assert_first_decided(out: Path, text: str) -> None:
    """The first article is saved as accepted by `t`, with its suggestions minus the one that
    was under the cursor (token 0) when x was pressed."""
    assert out.exists(), "nothing saved"
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    mine = [r for r in records if r.get("text") == text]
    assert mine, f"the first article was not saved ({len(records)} records)"
    latest = mine[-1]
    assert latest["answer"] == "accept"
    assert latest["_annotator_id"] == "t"
    suggestions = latest.get("suggestions") or []
    assert suggestions, "submitted before its suggestions arrived"
    assert any(s["token_start"] == 0 for s in suggestions), "no suggestion under the cursor"
    assert latest["spans"], "its other suggestions were not kept"
    assert not any(s["token_start"] == 0 for s in latest["spans"]), "the rejection was lost"


def first_text() -> str:
    return next(iter(read(demo_path()))).record.text


def on_pane(text: str) -> str:
    """A piece of the article's first line that fits any pane width (ASCII: no width doubts)."""
    return text[:10]


def test_demo_keys_at_once(tmux: Tmux, tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    text = first_text()
    args = ["demo", "-o", str(out), "--annotator", "t"]
    assert run_until_quit(tmux, tmp_path, args, on_pane(text)) == 0
    assert_first_decided(out, text)


def test_annotate_without_tokens_keys_at_once(tmux: Tmux, tmp_path: Path) -> None:
    src = tmp_path / "articles"
    src.mkdir()
    texts = [item.record.text for item in read(demo_path())][:2]
    for i, text in enumerate(texts):
        (src / f"{i:03d}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["annotate", str(src), "-o", str(out), "--annotator", "t"]
    assert run_until_quit(tmux, tmp_path, args, on_pane(texts[0])) == 0
    assert_first_decided(out, texts[0])
