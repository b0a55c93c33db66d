"""JSONL exports, one file per split (`train.jsonl`, `dev.jsonl`, `test.jsonl`):

- `jsonl`: our records (`schema/record.schema.json`), one current record per article (or per
  annotator under `--policy all`), with tokens and token-aligned spans, without suggestions;
- `prodigy`: Prodigy `ner_manual` records (`formats.write.to_prodigy`);
- `doccano`: doccano sequence-labelling lines, `label: [[start, end, "LABEL"]]`
  (`formats.write.to_doccano`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from annotations.formats.write import to_doccano, to_prodigy
from annotations.records import Record

LINE_FORMATS = ("jsonl", "prodigy", "doccano")
SERIALISERS: dict[str, Callable[[Record], dict[str, Any]]] = {
    "jsonl": Record.to_dict,
    "prodigy": to_prodigy,
    "doccano": to_doccano,
}
