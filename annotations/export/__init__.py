"""Training data from curated spans: Hugging Face dataset, spaCy, CoNLL, JSONL, doccano, Prodigy.

`export(inputs, out, Options(fmt=...))` reads any readable files (JSONL in two passes: `index`,
numpy columns of every line, then `chunks` on worker processes), keeps the accepted articles
(`select`: latest record per annotator, a policy for several annotators; `columns`: the same on
the index's columns, rows made a chunk at a time), splits them by text (`splits`), puts every span on
tokens or says why not (`prepare`, or `lean` when there is nothing to do), makes each chunk in its
format (`hf`, `docbin`, `conll`, `lines`), writes the files and a README (`write`, `card`) into a
temporary folder beside `out`, and renames it into place (`run`). Nothing here imports Textual.
"""

from annotations.export.run import FORMATS, MARKER, ExportResult, Options, export, export_records
from annotations.export.select import POLICIES
from annotations.export.splits import DEFAULT_SPLIT

__all__ = [
    "DEFAULT_SPLIT",
    "FORMATS",
    "MARKER",
    "POLICIES",
    "ExportResult",
    "Options",
    "export",
    "export_records",
]
