"""An output is never an input, and an error while writing it names it.

`check_output` is what every command that writes calls before it opens anything for writing: the
output (and its side files, such as the review screen's draft) must not be the same file as any
input by identity (device and inode, so that a symlink or a hard link to the input counts, and
`./a` and `/abs/a` are one file), an output file must not lie inside an input folder (a txt or
brat folder would read it back as an article), and an output folder must not hold an input (an
export replaces its folder whole). Identity is asked of the file system (`os.stat`), never read
from spelled paths; what does not exist yet cannot be an input, so a new output only has its
folders checked.

`naming_output` turns an `OSError` met while writing (disk full, read-only folder, permission)
into one line naming the path the user gave, not an internal temporary path.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotations.errors import UsageError
from annotations.inputs import special_kind
from annotations.store.scratch import is_scratch as scratch_of


@dataclass(frozen=True)
class Input:
    """A file or folder a command reads, and how to name it in a message (`the input`,
    `the --labels file`...). `may_be_output`: reading it and then appending to it is what the
    user means (a `--learn-from` file read whole before the output is opened); it is still
    refused as a side file and for folder containment."""

    path: Path
    role: str = "the input"
    may_be_output: bool = False


def inputs(
    role: str, paths: Iterable[str | Path | None], may_be_output: bool = False
) -> list[Input]:
    """`Input`s of one role (the `None`s of unset options left out)."""
    return [Input(Path(p), role, may_be_output) for p in paths if p is not None]


def command_inputs(
    source: str | Path | None,
    patterns: Iterable[str | Path] = (),
    labels: str | Path | None = None,
    learn_from: Iterable[str | Path] = (),
    keymap: str | Path | None = None,
) -> list[Input]:
    """The files a command reads, from its options. A `--learn-from` file may be the output:
    it is read whole before the output is opened, holds records of the same kind, and the
    review screen learns from its output anyway (`annotations.review.learning`)."""
    return [
        *inputs("the input", [source]),
        *inputs("the --patterns file", patterns),
        *inputs("the --labels file", [labels]),
        *inputs("the --learn-from file", learn_from, may_be_output=True),
        *inputs("the --keymap file", [keymap]),
    ]


class OutputIsInput(UsageError):
    """The output would overwrite, or be read back as, one of the command's inputs."""


class OutputError(UsageError):
    """Writing the output failed (disk full, permission...); the message names the output."""


def draft_path(out: Path) -> Path:
    """Where the review screen autosaves the article in progress for output `out`."""
    return out.parent / (out.name + ".draft.json")  # (with_name refuses a nameless `.`)


def models_path(out: Path) -> Path:
    """Where `relecture annotate --update-every` keeps the models it trains for output `out`
    (`OUT.models/v1`, `v2`...)."""
    return out.parent / (out.name + ".models")


def review_side_files(out: Path) -> tuple[Path, ...]:
    """What the review screen writes beside its output: the draft and the draft's temporary
    file (written through `open`, so a link there would write into its target), and the folder
    of the models it trains. None of them, nor anything inside them, can be an input."""
    draft = draft_path(out)
    return draft, draft.parent / (draft.name + ".tmp"), models_path(out)


def check_output(
    out: str | Path,
    reads: Iterable[Input],
    *,
    folder: bool = False,
    side_files: Sequence[Path] = (),
) -> None:
    """Refuse (`OutputIsInput`, one line) an output that is one of `reads` or would be read
    back by one. `folder`: the output is a folder written whole (an export), so an input inside
    it is refused too."""
    out = Path(out)
    for target in (out, *side_files):
        special = _special_file(target)
        if special:  # writing into it would block (a FIFO) or write to a device
            raise OutputIsInput(f"{target}: is {special}, not a regular file; write somewhere else")
    targets = [(out, "")] + [(side, f"its side file {side}") for side in side_files]
    for read in reads:
        if not _exists(read.path):
            continue  # the reader will say so; a missing file is nobody's output
        for target, which in targets:
            if (which or not read.may_be_output) and _same(target, read.path):
                raise OutputIsInput(
                    f"{out}: {which or 'this output'} is {read.role} {read.path} (the same "
                    "file); write somewhere else"
                )
        for target, which in targets[1:]:
            if _inside(read.path, target):
                raise OutputIsInput(
                    f"{out}: {read.role} {read.path} is inside {which}, which this command "
                    "writes; read it from elsewhere"
                )
        if read.path.is_dir() and _inside(out, read.path):
            raise OutputIsInput(
                f"{out}: this output is inside {read.role} folder {read.path}, which would "
                "read it back; write somewhere else"
            )
        if folder and _exists(out) and out.is_dir() and _inside(read.path, out):
            raise OutputIsInput(f"{out}: {read.role} {read.path} is inside it; write elsewhere")


def _special_file(path: Path) -> str | None:
    try:
        return special_kind(os.stat(path).st_mode)
    except OSError:
        return None  # missing (to be created) or unreadable: the write will say


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def _same(a: Path, b: Path) -> bool:
    """The same file or folder (device and inode, through symlinks); False if either is missing."""
    try:
        return os.path.samestat(os.stat(a), os.stat(b))
    except (OSError, ValueError):
        return False


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` (existing or not) lies under `folder`, by the identity of each folder
    above its real location: a symlinked or differently spelled folder counts."""
    try:
        wanted = os.stat(folder)
    except (OSError, ValueError):
        return False
    for parent in Path(os.path.realpath(path)).parents:
        try:
            if os.path.samestat(os.stat(parent), wanted):
                return True
        except OSError:
            continue
    return False


@contextlib.contextmanager
def naming_output(out: str | Path) -> Iterator[None]:
    """Within: an `OSError` about the output (no file name, the output itself, a folder above
    it, or a temporary path of it, as told by `scratch.is_scratch`) is raised as `OutputError`
    `OUT: cannot write: <reason>`. Errors about other files (an input read lazily) pass."""
    out = Path(out)
    try:
        yield
    except OSError as exc:
        names = [
            Path(os.fsdecode(n))
            for n in (exc.filename, exc.filename2)
            if isinstance(n, (str, bytes, os.PathLike))
        ]
        if names and not any(n == out or scratch_of(n, out) for n in names):
            above = [n for n in names if _above(n, out)]
            if not above:
                raise
            raise OutputError(f"{out}: cannot create it in {above[0]}: {_reason(exc)}") from None
        reason = _reason(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and any(
            scratch_of(n, out) for n in names
        ):
            reason += f" (the folder {out.parent} must be writable)"
        raise OutputError(f"{out}: cannot write: {reason}") from None


def _above(path: Path, out: Path) -> bool:
    try:
        return Path(os.path.abspath(path)) in Path(os.path.abspath(out)).parents
    except ValueError:
        return False


def _reason(exc: OSError) -> str:
    if exc.strerror:
        return exc.strerror
    if exc.errno:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__
