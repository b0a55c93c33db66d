"""The baseline of `agree --json` end to end (issue 16): the same figures the way a script with the
usual packages gets them. Every annotator's JSONL file is read whole (`json`), the latest record
per article kept, every token given its IO label from the spans; then scikit-learn's
`cohen_kappa_score` per pair, statsmodels' `fleiss_kappa` over the articles all annotated,
`krippendorff.alpha` (nominal) over annotators × tokens, and nervaluate's span F1 per pair (when
nervaluate is installed: `pip install nervaluate`). Prints one JSON object (what it computed).

    python -m tests.bench.child_agree_peers FILE...
"""

from __future__ import annotations

import json
import sys
from itertools import combinations
from pathlib import Path
from typing import Any


def main(files: list[str]) -> dict[str, Any]:
    import krippendorff
    import numpy as np
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    by_annotator: dict[str, dict[int, dict[str, Any]]] = {}
    for path in files:
        latest: dict[int, dict[str, Any]] = {}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    latest[record["_input_hash"]] = record
        by_annotator[Path(path).stem] = {
            h: r for h, r in latest.items() if r.get("answer", "accept") == "accept"
        }
    names = sorted(by_annotator)
    shared = sorted(set.intersection(*(set(d) for d in by_annotator.values())))
    labels = sorted(
        {s["label"] for d in by_annotator.values() for r in d.values() for s in r.get("spans", [])}
    )
    code = {label: i + 1 for i, label in enumerate(labels)}
    tags: dict[str, list[int]] = {}
    for name in names:
        out: list[int] = []
        for h in shared:
            record = by_annotator[name][h]
            n_tokens = len(by_annotator[names[0]][h]["tokens"])
            seq = [0] * n_tokens
            for span in record.get("spans", []):
                for t in range(span["token_start"], span["token_end"] + 1):
                    seq[t] = code[span["label"]]
            out += seq
        tags[name] = out
    result: dict[str, Any] = {"articles": len(shared), "tokens": len(tags[names[0]])}
    result["cohen"] = {
        f"{a}|{b}": float(cohen_kappa_score(tags[a], tags[b])) for a, b in combinations(names, 2)
    }
    matrix = np.array([tags[n] for n in names])
    table, _ = aggregate_raters(matrix.T)
    result["fleiss"] = float(fleiss_kappa(table))
    result["krippendorff"] = float(
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    )
    try:
        from nervaluate import Evaluator
    except ImportError:
        result["nervaluate"] = "not installed"
        return result
    docs = {
        n: [
            [
                {"label": s["label"], "start": s["start"], "end": s["end"]}
                for s in by_annotator[n][h].get("spans", [])
            ]
            for h in shared
        ]
        for n in names
    }
    f1 = {}
    for a, b in combinations(names, 2):
        overall = Evaluator(docs[a], docs[b], tags=labels).evaluate()["overall"]
        f1[f"{a}|{b}"] = {"exact": overall["exact"].f1, "partial": overall["partial"].f1}
    result["span_f1"] = f1
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
