"""Tokens and token-aligned spans for every exported row, and the checks training data needs.

- A record without tokens gets spaCy French tokens (`formats.complete`); a record with tokens keeps
  them (never re-tokenised) when its spans' `token_start`/`token_end` already cover their offsets.
- A span that does not start and end on token boundaries is aligned with the `--align` policy
  (`split` by default: the tokens are split at the span's edges, the span is kept exactly), and
  every change is reported with the file, the article and the offsets. It is never silently
  turned into `O`; under `strict` it is an error.
- Labels must be in the label list (`--labels`, or the data's own with `--any-label`).
- Formats with one tag per token (HF `ner_tags`, spaCy `doc.ents`, CoNLL) cannot hold overlapping
  spans: an overlap is an error naming both spans.
- Suggestions are not training data: they are not exported.
"""

from __future__ import annotations

from collections.abc import Callable

from annotations.align import AlignIssue, Policy, align
from annotations.errors import InputError
from annotations.export.select import Row
from annotations.formats import complete
from annotations.records import Record, Span


def is_ready(record: Record, labels: frozenset[str] | None, one_tag_per_token: bool) -> bool:
    """True when the record has tokens and every span is already on its tokens, in order, not
    overlapping (if that matters) and labelled from the list: the common case, checked in one
    pass, with nothing for `prepare_row` to do but make `spans` a list and drop suggestions."""
    tokens = record.tokens
    if tokens is None:
        return False
    n = len(tokens)
    prev_start = prev_end = -1
    for span in record.spans or ():
        ts = span.token_start
        te = span.token_end
        start = span.start
        if (
            ts is None
            or te is None
            or not 0 <= ts <= te < n
            or tokens[ts].start != start
            or tokens[te].end != span.end
            or start < prev_start
            or (one_tag_per_token and start < prev_end)
            or (labels is not None and span.label not in labels)
        ):
            return False
        prev_start = start
        prev_end = span.end
    return True


def _sorted(spans: list[Span]) -> list[Span]:
    prev = (-1, -1)
    for span in spans:
        here = (span.start, span.end)
        if here < prev:
            return sorted(spans, key=lambda s: (s.start, s.end))
        prev = here
    return spans


def issue_text(issue: AlignIssue) -> str:
    """An alignment issue as a message: `span 10-14 ORG: ...`, or `10-16: token ... split at`."""
    if issue.label:
        return str(issue)
    return f"{issue.start}-{issue.end}: {issue.message}"  # a token split under `split`


def prepare_row(
    row: Row,
    policy: Policy,
    labels: frozenset[str] | None,
    *,
    one_tag_per_token: bool,
    warn: Callable[[str], None],
) -> None:
    """Fill tokens and token indices of `row.record` in place; report or refuse as the module says."""
    record = row.record
    record.suggestions = None
    if record.spans is None:
        record.spans = []
    issues: list[AlignIssue] = []
    if record.tokens is None:
        issues = complete(record, policy)
    elif is_ready(record, labels, one_tag_per_token):
        return
    elif not is_ready(record, None, False):
        tokens, aligned, issues = align(record.text, record.tokens, record.spans, policy)
        record.tokens = tokens
        record.spans = [s for s in aligned if s is not None]
    where = f"{row.where} (article {row.article})"
    for issue in issues:
        if issue.error and policy is Policy.STRICT:
            raise InputError(where, 0, f"{issue_text(issue)} (--align strict; try --align split)")
        warn(f"{where}: {issue_text(issue)}")
    spans = record.spans = _sorted(record.spans)
    prev: Span | None = None
    for span in spans:
        if span.token_start is None or span.token_end is None:  # never silently an `O`
            raise InputError(
                where, 0, f"span {span.start}-{span.end} {span.label} could not be put on tokens"
            )
        if labels is not None and span.label not in labels:
            raise InputError(
                where,
                0,
                f"span {span.start}-{span.end} has label {span.label!r}, which is not in the label "
                f"list ({', '.join(sorted(labels))}); pass --labels FILE or --any-label",
            )
        if one_tag_per_token and prev is not None and span.start < prev.end:
            raise InputError(
                where,
                0,
                f"overlapping spans {prev.start}-{prev.end} {prev.label} "
                f"{record.text[prev.start : prev.end]!r} and {span.start}-{span.end} {span.label} "
                f"{record.text[span.start : span.end]!r}: one tag per token cannot hold both "
                "(export as jsonl, or fix the file)",
            )
        prev = span
