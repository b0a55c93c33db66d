"""JSONL exports, one file per split (`train.jsonl`, `dev.jsonl`, `test.jsonl`):

- `jsonl`: our records (`schema/record.schema.json`), one current record per article (or per
  annotator under `--policy all`), with tokens and token-aligned spans, without suggestions;
- `prodigy`: Prodigy `ner_manual` records (`formats.write.to_prodigy`);
- `doccano`: doccano sequence-labelling lines, `label: [[start, end, "LABEL"]]`
  (`formats.write.to_doccano`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from annotations.export.select import Row
from annotations.formats.write import to_doccano, to_prodigy
from annotations.records import Record

LINE_FORMATS = ("jsonl", "prodigy", "doccano")
SERIALISERS: dict[str, Callable[[Record], dict[str, Any]]] = {
    "jsonl": Record.to_dict,
    "prodigy": to_prodigy,
    "doccano": to_doccano,
}


def write_lines(out: Path, splits: dict[str, list[Row]], fmt: str) -> dict[str, str]:
    serialise = SERIALISERS[fmt]
    files: dict[str, str] = {}
    for split, rows in splits.items():
        if not rows:
            continue
        name = f"{split}.jsonl"
        with open(out / name, "wb") as fh:
            for row in rows:
                fh.write(orjson.dumps(serialise(row.record)))
                fh.write(b"\n")
        files[split] = name
    return files
