"""Where the language-neutral data contract (`schema/`) lives, in a source tree and in a wheel.

The wheel carries `schema/` as `annotations/_schema/`; a source checkout (or an editable install)
has it beside the package. Code reads these files instead of repeating what they say.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

_HERE = Path(__file__).resolve().parent


@cache
def schema_dir() -> Path:
    for candidate in (_HERE / "_schema", _HERE.parent / "schema"):
        if (candidate / "record.schema.json").is_file():
            return candidate
    raise FileNotFoundError(f"relecture's schema files are missing (looked in {_HERE})")


@cache
def record_schema() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((schema_dir() / "record.schema.json").read_bytes())
    return data


@cache
def labels_schema() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((schema_dir() / "labels.schema.json").read_bytes())
    return data


def bundled_label_file(name: str) -> Path:
    return schema_dir() / "labels" / f"{name}.json"
