"""Token tags (IOB1, IOB2/BIO, BIOES/BILOU, IO) to spans and spans to IOB2 tags."""

from __future__ import annotations

from collections.abc import Sequence

from annotations.records import Span

_PREFIXES = frozenset("BIESLU")


class TagError(ValueError):
    def __init__(self, index: int, message: str) -> None:
        self.index = index
        super().__init__(message)


def split_tag(tag: str) -> tuple[str, str | None]:
    """`B-PER` -> ("B", "PER"); `O` -> ("O", None); a bare `PER` (IO scheme) -> ("I", "PER")."""
    if tag == "O":
        return "O", None
    if len(tag) > 2 and tag[1] in "-_" and tag[0] in _PREFIXES:
        return tag[0], tag[2:]
    if not tag or tag[0] in "-_" or tag.endswith(("-", "_")):
        raise ValueError(f"malformed tag {tag!r}")
    return "I", tag


def tags_to_token_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(token_start, token_end inclusive, label) for each entity.

    One reading serves IOB1 and IOB2 alike: an entity starts at `B-`, `S-`/`U-`, or at an `I-`
    that does not continue an entity of the same label; `E-`/`L-`/`S-`/`U-` close one.
    """
    out: list[tuple[int, int, str]] = []
    start = -1
    label: str | None = None
    for i, tag in enumerate(tags):
        try:
            prefix, lab = split_tag(tag)
        except ValueError as exc:
            raise TagError(i, str(exc)) from None
        if prefix == "O":
            if label is not None:
                out.append((start, i - 1, label))
            label = None
            continue
        if prefix in "BSU" or label != lab:
            if label is not None:
                out.append((start, i - 1, label))
            start, label = i, lab
        if prefix in "ESLU":
            out.append((start, i, label))  # type: ignore[arg-type]
            label = None
    if label is not None:
        out.append((start, len(tags) - 1, label))
    return out


def spans_to_tags(n_tokens: int, spans: Sequence[Span]) -> list[str]:
    """IOB2 tags; every span needs token_start/token_end, and spans must not overlap."""
    tags = ["O"] * n_tokens
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        ts, te = span.token_start, span.token_end
        if ts is None or te is None:
            raise ValueError(f"span {span.start}-{span.end} {span.label} is not aligned to tokens")
        if any(tag != "O" for tag in tags[ts : te + 1]):
            raise ValueError(f"span {span.start}-{span.end} {span.label} overlaps another span")
        tags[ts] = f"B-{span.label}"
        for k in range(ts + 1, te + 1):
            tags[k] = f"I-{span.label}"
    return tags
