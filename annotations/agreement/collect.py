"""`relecture agree`'s reading path: files into an `AgreementReport` in flat memory, on every core.

Two passes. Pass 1 (`stream.lean.read_files` in index mode: JSONL on the workers, checked line
by line as `formats.read` checks it; other formats here, as `load.records_from_files` reads
them) keeps per record only its identity, answer and place (`index.RecordIndex`), and decides
what `load.build_corpus` decides: the latest record per annotator and article, the exclusions,
the shared articles and their order (`index.Plan`). Pass 2 (`chunks`) reads the shared
articles' records again by byte range, a chunk of articles per worker task, tokenises those
without tokens and scores the chunk (`scores.score_chunk`); this process sums the chunks in
order (`scores.Totals`), the per-article entries and disagreements going to a temporary file
for a large input. Memory holds the index (some 40 bytes a record), a few numbers per article
and the chunks in flight, whatever the size of the corpus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from annotations.agreement import chunks
from annotations.agreement.index import RecordIndex
from annotations.agreement.load import invalid_spans_note
from annotations.agreement.report import AgreementReport, report_from_totals
from annotations.agreement.scores import Store, Totals
from annotations.formats import annotator_name
from annotations.stream import lean
from annotations.stream.progress import Progress, Silent


def report_from_files(
    files: Iterable[str | Path],
    match: str = "exact",
    progress: Progress | None = None,
    processes: int | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> AgreementReport:
    """`agreement_report(records_from_files(files), match)`, read on every core in flat memory.
    Bad input raises `InputError`, too little to compare `AgreementError`. `read_options`: what
    `formats.read` is given besides the path and format."""
    paths = [Path(p) for p in files]
    bar = progress or Silent()
    index = RecordIndex([annotator_name(p) for p in paths])
    total_bytes = lean.input_bytes(paths)
    run = lean.pick_runner(total_bytes, processes)  # for both passes
    try:
        lean.read_files(
            paths,
            None,
            True,
            on_part=index.add_part,
            on_record=index.add_record,
            progress=bar,
            processes=processes,
            read_options=read_options,
            run=run,
            keep=index.keep,
        )
        plan = index.plan([str(p) for p in paths])
        totals = Totals(plan.names, match, Store(on_disk=total_bytes >= lean.PARALLEL_FROM))
        bar.phase("scoring", plan.articles, "articles")
        for scores in run.map(chunks.score_task, chunks.tasks(plan, match)):
            totals.add(scores)
            bar.advance(scores.articles, scores.articles)
    finally:
        run.close()
    excluded = {**plan.excluded, "invalid_spans": totals.bad_spans}
    notes = [invalid_spans_note(totals.bad_spans)] if totals.bad_spans else []
    return report_from_totals(totals, excluded, notes)
