"""Shared pieces for the Pilot tests: an app on the demo articles with a temporary output."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from annotations.demo import demo_path
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.records import Record
from annotations.review.session import ReviewSession
from annotations.store.writer import JsonlWriter
from tui.app import ChainOptions, RelectureApp


def demo_records() -> list[Record]:
    return [item.record for item in read(demo_path())]


def make_app(
    out: Path,
    records: list[Record] | None = None,
    model: str | None = None,
    annotator: str = "alice",
    keymap: Mapping[str, str] | None = None,
) -> RelectureApp:
    saved = {}
    if out.exists() and out.stat().st_size:
        saved = {
            i.record.key[1]: i.record for i in read(out, "jsonl") if i.record.annotator == annotator
        }
    session = ReviewSession(
        records if records is not None else demo_records(), load_scheme(), annotator, saved
    )
    return RelectureApp(session, JsonlWriter(out), ChainOptions(model=model), keymap=keymap)
