"""Child process of the `store` index benchmark: open a JSONL with `JsonlIndex`, parse record 0,
print one JSON line of timings and peak RSS. Only the standard library is imported before the
clock starts, so the RSS it reports is the interpreter plus `annotations.store.index` plus the index.

    python -m tests.bench.child_open_index FILE.jsonl
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # Linux: KiB


def main(path: str) -> None:
    t0 = time.perf_counter()
    from annotations.store.index import JsonlIndex

    t1 = time.perf_counter()
    rss_imported = _rss_mb()
    index = JsonlIndex(path)
    t2 = time.perf_counter()
    first = index[0]
    t3 = time.perf_counter()
    assert first.text
    print(
        json.dumps(
            {
                "import_s": t1 - t0,
                "build_s": t2 - t1,
                "first_s": t3 - t2,
                "records": len(index),
                "rss_imported_mb": rss_imported,
                "rss_peak_mb": _rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
