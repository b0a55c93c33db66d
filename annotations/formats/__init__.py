"""Reading every common annotation format into records, and writing JSONL, Prodigy, doccano and
brat standoff.

`read(path, fmt=None)` detects the format from the file (or takes `fmt`) and yields `Item`s.
"""

from annotations.formats.base import Item, complete
from annotations.formats.detect import READ_FORMATS, annotator_name, detect, read
from annotations.formats.write import WRITE_FORMATS, write_records

__all__ = [
    "READ_FORMATS",
    "WRITE_FORMATS",
    "Item",
    "annotator_name",
    "complete",
    "detect",
    "read",
    "write_records",
]
