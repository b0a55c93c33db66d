"""Which records an export holds, and how several annotators' records become training rows.

1. The latest record per (annotator, article) is the current one (files are append-only). An
   article is its `_input_hash` and its text (`Record.article_key`): two texts sharing a hash are
   two articles, both exported (their ids are told apart: `HASH` and `HASH-2`, see `identity.ids`).
2. Only `accept`ed articles are exported; `reject` and `ignore` are left out and counted. A record
   without an `answer` (doccano, brat, CoNLL, HF and plain files have none) is exported as it is and
   counted apart; `require_answer=True` leaves those out too.
3. When some article has records from several annotators, a policy says what a row is:

   - `gold`: the input is already adjudicated: one record per article (several annotators on one
     article is an error, since it means the file is not what the policy says);
   - `majority`: one row per article accepted by more annotators than rejected it (`ignore`
     abstains); a span (start, end, label) is kept when more than half of the annotators who
     accepted the article have it. A tie keeps nothing, so two annotators must agree;
   - `annotator` (with a name): that annotator's records only;
   - `all`: one row per annotator and article; the `annotators` column says whose it is.

   Without a policy, input where every article has one annotator is exported as it is (`gold`),
   and input with several annotators on an article is refused with the choices.
4. An article whose text is only whitespace (Prodigy writes such records) is no training example:
   it is left out and counted.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter

from annotations.errors import UsageError
from annotations.identity import by_article, ids
from annotations.records import Record, Span
from annotations.store.latest import latest_items

POLICIES = ("gold", "majority", "annotator", "all")
NO_ANSWER = "(none)"


@dataclass(slots=True)
class Row:
    """One exported example: a record (tokens and aligned spans are filled in later), whose
    annotations it holds, where it came from (`file:line`, for messages), a stable id and the
    record's `_input_hash` (what splits group by)."""

    record: Record
    annotators: list[str]
    where: str
    id: str
    input_hash: int
    # `majority`: the records of the annotators who accepted the article, whose spans are put to
    # the vote (`vote`) when the row is prepared, chunk by chunk (records may be index stubs
    # until then: see `export.index`)
    voters: list[tuple[Record, str]] | None = None
    position: int = 0  # `majority`: where the article falls among `Selection.reason_at`

    @property
    def article(self) -> str:
        """How messages name the article: its source file name when it has one, else its hash."""
        meta = self.record.meta or {}
        for key in ("source", "doc_id", "id"):
            value = meta.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)
        return f"#{self.input_hash}"


@dataclass
class Selection:
    rows: Sequence[Row]  # a list, or a `columns.RowTable` (made on an index, rows on demand)
    policy: str
    lines: int = 0  # records read
    current: int = 0  # latest per annotator and article
    articles: int = 0  # distinct texts in the input
    multi_annotated: int = 0  # articles with records from several annotators
    annotators: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)  # over current records
    left_out: Counter[str] = field(default_factory=Counter)  # reason -> how many
    current_records: list[Record] = field(default_factory=list)  # latest per annotator, article
    # `majority` with votes deferred: the position of the first article each reason of
    # `left_out` was met at, so that the spans without a majority, counted later, take the place
    # in `left_out` they have when the votes are made here (`place_votes`)
    reason_at: dict[str, float] = field(default_factory=dict)

    def place_votes(self, dropped: int, first: int | None) -> None:
        """Count `dropped` spans without a majority, first met at article `first`."""
        if not dropped or first is None:
            return
        # before any reason first met at that article or after it
        at: dict[str, float] = {**self.reason_at, SPANS_WITHOUT_MAJORITY: first - 0.5}
        counts = dict(self.left_out)
        counts[SPANS_WITHOUT_MAJORITY] = counts.get(SPANS_WITHOUT_MAJORITY, 0) + dropped
        self.reason_at = at
        self.left_out = Counter({k: counts[k] for k in sorted(counts, key=lambda k: at.get(k, -1))})

    def report_lines(self) -> list[str]:
        out = [
            f"{self.lines:,} records read, {self.current:,} current "
            f"(latest per annotator and article), {self.articles:,} articles",
        ]
        if self.answers:
            out.append(
                "answers: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.answers.items()) if v)
            )
        if self.annotators:
            multi = (
                f", {self.multi_annotated:,} articles with several" if self.multi_annotated else ""
            )
            out.append(f"annotators: {', '.join(self.annotators)}{multi}; policy {self.policy}")
        for reason, n in self.left_out.items():
            if n:
                out.append(f"left out: {n:,} {reason}")
        return out


def parse_policy(policy: str | None, annotator: str | None) -> tuple[str | None, str | None]:
    """`annotator:NAME` / `annotator=NAME` / (`annotator`, `--annotator NAME`) -> (policy, name)."""
    name = annotator
    if policy is not None:
        for sep in (":", "="):
            if policy.startswith(f"annotator{sep}"):
                policy, name = "annotator", policy.split(sep, 1)[1]
                break
        if policy not in POLICIES:
            raise UsageError(
                f"--policy must be one of gold, majority, annotator:NAME, all (got {policy!r})"
            )
    elif name is not None:
        policy = "annotator"
    if policy == "annotator" and not name:
        raise UsageError("--policy annotator needs a name: --policy annotator:NAME")
    if name is not None and policy != "annotator":
        raise UsageError(f"--annotator goes with --policy annotator, not {policy}")
    return policy, name


def _answer(record: Record) -> str:
    return record.answer or NO_ANSWER


def select(
    records: Iterable[tuple[Record, str]],
    policy: str | None = None,
    annotator: str | None = None,
    *,
    require_answer: bool = False,
    purpose: str = "export",
    defer_votes: bool = False,
) -> Selection:
    """Apply the rules in the module docstring to (record, `file:line`) pairs. `defer_votes`:
    `majority` rows keep their voters, for `voted` when they are prepared (an export reads the
    voters' records whole only then)."""
    # The current records, their articles, then counts in comprehensions: an export touches
    # each of 100k records as few times as it can, in C-level loops where it can (the input is
    # counted by `zip` with a counter, not by Python code per record).
    counter = itertools.count()
    pairs: Iterable[tuple[Record, str]] = map(itemgetter(0), zip(records, counter, strict=False))
    current = latest_items(pairs)
    lines = next(counter)
    current_records = [record for record, _ in current]
    for record in current_records:
        if record.input_hash is None or record.task_hash is None:
            record.with_hashes()
    by_text = by_article(current)
    named = {record.annotator for record in current_records if record.annotator is not None}
    answers = Counter(record.answer for record in current_records)
    multi = sum(1 for group in by_text if len(group) > 1)
    names = sorted(named)

    policy = resolve_policy(policy, annotator, multi, names, purpose)
    sel = Selection([], policy, lines, len(current), len(by_text), multi, names)
    sel.current_records = current_records
    sel.answers.update({a if a is not None else NO_ANSWER: n for a, n in answers.items()})
    articles = [
        (name, group)
        for name, group in zip(ids(by_text), by_text, strict=True)
        if not group[0][0].text.isspace()
    ]
    blank = len(by_text) - len(articles)
    if blank:
        sel.left_out["articles whose text is only whitespace"] += blank
    accepted = ("accept",) if require_answer else ("accept", NO_ANSWER)

    rows: list[Row] = []
    sel.rows = rows
    if policy == "majority":
        for name, group in articles:
            before = set(sel.left_out)
            row = _majority(group, accepted, sel.left_out, name)
            for why in sel.left_out.keys() - before:
                sel.reason_at[why] = len(sel.reason_at)
            if row is not None:
                row.position = len(sel.reason_at)
                rows.append(row if defer_votes else voted(row, sel.left_out))
        return sel

    if policy == "gold" and multi:
        for _name, group in articles:
            if len(group) > 1:
                (first, where), (second, _) = group[0], group[1]
                raise not_gold(where, first.annotator, second.annotator)
    keep = {"accept"} if require_answer else {"accept", None}
    for name, group in articles:
        h: int = group[0][0].input_hash  # type: ignore[assignment]  # filled above
        for record, where in group:
            if policy == "annotator" and record.annotator != annotator:
                continue
            if record.answer not in keep:
                sel.left_out[reason(_answer(record))] += 1
                continue
            who = [record.annotator] if record.annotator is not None else []
            rid = f"{name}:{record.annotator or ''}" if policy == "all" else name
            rows.append(Row(record, who, where, rid, h))
    if policy == "annotator":
        missing = sum(
            1 for _name, group in articles if all(r.annotator != annotator for r, _ in group)
        )
        if missing:
            sel.left_out[f"articles not annotated by {annotator}"] += missing
    return sel


def resolve_policy(
    policy: str | None, annotator: str | None, multi: int, names: list[str], purpose: str
) -> str:
    """The policy to apply (None: `gold`, unless some article has several annotators)."""
    if policy is None:
        if multi:
            raise UsageError(
                f"{multi:,} article{'s' * (multi != 1)} have records from several annotators "
                f"({', '.join(names) or 'unnamed'}): say what to {purpose} with --policy majority, "
                "annotator:NAME or all (gold if the file is already adjudicated)"
            )
        policy = "gold"
    if policy == "annotator" and annotator not in names:
        raise UsageError(
            f"no records by annotator {annotator!r} (annotators: {', '.join(names) or 'none'})"
        )
    return policy


def not_gold(where: str, first: str | None, second: str | None) -> UsageError:
    """`--policy gold` on an article with records by two annotators (`first`, `second`)."""
    return UsageError(
        f"{where}: --policy gold, but this article also has a record by "
        f"{second or 'an unnamed annotator'} (besides {first or 'an unnamed one'}): an "
        "adjudicated file has one record per article; use --policy majority, annotator:NAME or all"
    )


def reason(answer: str) -> str:
    """Why a record with this answer (`NO_ANSWER` for none) is left out."""
    if answer == NO_ANSWER:
        return "records without an answer (--require-answer)"
    return f"records answered {answer}"


def _majority(
    group: list[tuple[Record, str]], accepted: tuple[str, ...], left_out: Counter[str], rid: str
) -> Row | None:
    """The row of an article under `majority`, its spans still to be voted (`vote`)."""
    voters = [(r, w) for r, w in group if _answer(r) in accepted]
    rejecters = sum(1 for r, _ in group if _answer(r) == "reject")
    if not voters:
        answers = sorted({_answer(r) for r, _ in group})
        left_out[f"articles answered {'/'.join(answers)} by every annotator"] += 1
        return None
    if len(voters) <= rejecters:
        left_out["articles rejected by as many annotators as accepted them or more"] += 1
        return None
    annotators = sorted(r.annotator for r, _ in voters if r.annotator is not None)
    base, where = voters[0]
    h = base.input_hash
    assert h is not None
    return Row(base, annotators, where, rid, h, voters)


SPANS_WITHOUT_MAJORITY = "spans without a majority"


def voted(row: Row, left_out: Counter[str]) -> Row:
    """A `majority` row with its spans voted (`vote`); spans without a majority are counted."""
    assert row.voters is not None
    record, where, dropped = vote(row.voters)
    if dropped:
        left_out[SPANS_WITHOUT_MAJORITY] += dropped
    return Row(record, row.annotators, where, row.id, row.input_hash)


def vote(voters: list[tuple[Record, str]]) -> tuple[Record, str, int]:
    """`majority`: the record of an article from its voters' records (a span is kept when more
    than half of them have it), where it came from, and how many spans had no majority."""
    votes: Counter[tuple[int, int, str]] = Counter()
    first: dict[tuple[int, int, str], Span] = {}
    for record, _ in voters:
        for span in {s.key: s for s in record.spans or ()}.values():
            votes[span.key] += 1
            first.setdefault(span.key, span)
    kept = [
        replace(first[key], token_start=None, token_end=None, source="majority", score=None)
        for key, n in sorted(votes.items())
        if 2 * n > len(voters)
    ]
    dropped = sum(1 for n in votes.values() if 2 * n <= len(voters))
    # the kept spans are aligned to this record's tokens later (`prepare`), with a report
    base, where = next(((r, w) for r, w in voters if r.tokens is not None), voters[0])
    record = replace(
        base,
        spans=kept,
        suggestions=None,
        annotator=None,
        answer="accept",
        extra={**base.extra, "_annotators": sorted(r.annotator or "" for r, _ in voters)},
    )
    return record, where, dropped
