"""Label schemes: the labels a project uses, with their description, key and colour.

The default scheme is `schema/labels/news-fr.json`; `--labels FILE` loads another file of the
same shape (`schema/labels.schema.json`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from annotations.errors import InputError
from annotations.inputs import read_input
from annotations.schema_files import bundled_label_file

DEFAULT_SCHEME = "news-fr"
# whole strings (`fullmatch`: a `$` would let a trailing newline through, which then breaks the
# legend): no space, control or format character can be in a label's name
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    key: str
    colour: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class LabelScheme:
    name: str
    labels: tuple[Label, ...]
    description: str = ""
    allow_overlap: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    def __contains__(self, name: object) -> bool:
        return any(label.name == name for label in self.labels)

    def by_key(self, key: str) -> Label | None:
        return next((label for label in self.labels if label.key == key), None)

    def bio_names(self) -> list[str]:
        """`O, B-PER, I-PER, ...` in the scheme's order (the ClassLabel names of an export)."""
        names = ["O"]
        for label in self.labels:
            names += [f"B-{label.name}", f"I-{label.name}"]
        return names


def load_scheme(path: str | Path | None = None) -> LabelScheme:
    """Load a label scheme file; `None` loads the default news-fr scheme."""
    file = Path(path) if path is not None else bundled_label_file(DEFAULT_SCHEME)
    try:
        data = orjson.loads(read_input(file))  # a FIFO or a device is refused, not opened
    except InputError as exc:
        raise InputError(file, 0, f"cannot read label scheme: {exc.message}") from None
    except OSError as exc:
        raise InputError(file, 0, f"cannot read label scheme: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(file, 0, f"label scheme is not valid JSON: {exc}") from None
    return scheme_from_dict(data, file)


def scheme_from_dict(data: Any, file: str | Path = "<labels>") -> LabelScheme:
    def bad(message: str) -> InputError:
        return InputError(file, 0, f"label scheme: {message}")

    if not isinstance(data, dict):
        raise bad("must be a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise bad("'name' must be a non-empty string")
    raw_labels = data.get("labels")
    if not isinstance(raw_labels, list) or not raw_labels:
        raise bad("'labels' must be a non-empty list")
    if len(raw_labels) > 9:
        raise bad(f"at most 9 labels (keys 1-9), got {len(raw_labels)}")
    labels: list[Label] = []
    for i, raw in enumerate(raw_labels):
        if not isinstance(raw, dict):
            raise bad(f"label {i + 1} must be an object")
        lname, key, colour = raw.get("name"), raw.get("key"), raw.get("colour")
        if not isinstance(lname, str):
            raise bad(f"label {i + 1}: 'name' must be a string")
        if not _NAME.fullmatch(lname):
            raise bad(
                f"label {lname!r}: a name is a letter then letters, digits, '_' or '-' "
                "(no space, control or format character)"
            )
        if not isinstance(key, str) or key not in "123456789" or len(key) != 1:
            raise bad(f"label {lname}: 'key' must be one of 1-9")
        if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
            raise bad(f"label {lname}: 'colour' must look like #1a2b3c")
        labels.append(Label(lname, key, colour, str(raw.get("description", ""))))
    for attr in ("name", "key"):
        values = [getattr(label, attr) for label in labels]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            raise bad(f"duplicate label {attr}: {', '.join(dupes)}")
    return LabelScheme(
        name=name,
        labels=tuple(labels),
        description=str(data.get("description", "")),
        allow_overlap=bool(data.get("allow_overlap", False)),
    )


def scheme_dict(scheme: LabelScheme) -> dict[str, Any]:
    """The scheme as its file holds it (`scheme_from_dict` reads it back)."""
    return {
        "name": scheme.name,
        "description": scheme.description,
        "allow_overlap": scheme.allow_overlap,
        "labels": [
            {"name": x.name, "key": x.key, "colour": x.colour, "description": x.description}
            for x in scheme.labels
        ],
    }
