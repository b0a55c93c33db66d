"""The bundled demo corpus: five French news articles (Meta hiring OpenAI researchers), one JSONL
record each, text exactly as in the original files, `meta.source` = the file name."""

from __future__ import annotations

from pathlib import Path

DEMO_FILE = Path(__file__).resolve().parent / "news-fr-demo.jsonl"


def demo_path() -> Path:
    return DEMO_FILE
