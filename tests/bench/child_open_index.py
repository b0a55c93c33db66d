"""Child process of the `store` index benchmark: open a JSONL with `JsonlIndex`, parse record 0,
print one JSON line of timings and peak RSS. Only the standard library is imported before the
clock starts, so the RSS it reports is the interpreter plus `annotations.store.index` plus the index.

Peak RSS is the kernel's high-water mark of this process's own memory (`VmHWM`). On Linux
`getrusage(RUSAGE_SELF).ru_maxrss` is NOT usable here: `execve` carries the parent's peak over
into the child's `ru_maxrss` (a 200 MB parent makes a 9 MB child report 200 MB), and the parent
has just generated the corpus. `ru_maxrss` is reported too, for comparison.

    python -m tests.bench.child_open_index FILE.jsonl
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _status() -> dict[str, float]:
    """`/proc/self/status` memory lines, in MB (10^6 bytes)."""
    out = {}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    out[key] = int(value.split()[0]) * 1024 / 1e6
    except OSError:  # not Linux: fall back on ru_maxrss (bytes on macOS)
        out["VmHWM"] = _maxrss_mb()
    return out


def _maxrss_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def main(path: str) -> None:
    t0 = time.perf_counter()
    from annotations.store.index import JsonlIndex

    t1 = time.perf_counter()
    rss_imported = _status()["VmHWM"]
    index = JsonlIndex(path)
    t2 = time.perf_counter()
    first = index[0]
    t3 = time.perf_counter()
    assert first.text
    status = _status()
    print(
        json.dumps(
            {
                "import_s": t1 - t0,
                "build_s": t2 - t1,
                "first_s": t3 - t2,
                "records": len(index),
                "rss_imported_mb": rss_imported,
                "rss_peak_mb": status["VmHWM"],
                "rss_anon_mb": status.get("RssAnon"),
                "rss_file_mb": status.get("RssFile"),
                "ru_maxrss_mb": _maxrss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
