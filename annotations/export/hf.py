"""Hugging Face export: a `DatasetDict` folder (`save_to_disk`) plus one parquet file per split.

Columns (declared, never inferred): `id` string, `text` string, `tokens` list of string,
`ner_tags` list of ClassLabel (`O, B-PER, I-PER, ...` in the scheme's order), `spans` list of
`{start, end, label}` (character offsets, end exclusive), `annotators` list of string, `meta` a JSON
string. `tokens` + `ner_tags` are what the token-classification scripts of `transformers`
(`run_ner.py`) read; splits are `train`, `validation`, `test`.

The table is built column by column with pyarrow against `Features(...).arrow_schema` rather than
row by row through `datasets` (that is ~10× slower): the `tokens` column is made from each
row's token texts as UTF-8 bytes (what `token_reader` reads them as, without a Python object per
token), `ner_tags` are filled with numpy from the spans' token indices, and
background threads (pyarrow releases the GIL) write each chunk to parquet and to the Arrow file
of the `save_to_disk` layout while the next chunk is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson

from annotations.errors import UsageError
from annotations.export.select import Row
from annotations.records import Record, Span

HF_SPLITS = {"train": "train", "dev": "validation", "test": "test"}
CHUNK = 2048
MAX_STRING_BYTES = (1 << 31) - 1  # an Arrow `string` column's offsets are 32-bit
MAX_PENDING = 6  # chunks built ahead of the writers (~15 MB each with tokens)
PARQUET_DIR = "data"
WRITER_NICENESS = 10  # relative to the main thread: see `_lower_priority`
PARQUET_COMPRESSION = "zstd"
# dictionary-encode the repetitive string columns only (ner_tags compress as well without, faster)
PARQUET_DICTIONARY = ["tokens.list.element", "spans.list.element.label", "annotators.list.element"]


def bio_names(labels: Sequence[str]) -> list[str]:
    """`O, B-L1, I-L1, B-L2, ...`: the ClassLabel names, in the scheme's order."""
    names = ["O"]
    for label in labels:
        names += [f"B-{label}", f"I-{label}"]
    return names


def features(labels: Sequence[str]) -> Any:
    """The declared `datasets.Features` of an export (`[x]` is a list of x in every `datasets`
    version we support: `List(x)` since 4.0, a plain list before)."""
    from datasets import ClassLabel, Features, Value

    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "tokens": [Value("string")],
            "ner_tags": [ClassLabel(names=bio_names(labels))],
            "spans": [{"start": Value("int32"), "end": Value("int32"), "label": Value("string")}],
            "annotators": [Value("string")],
            "meta": Value("string"),
        }
    )


def parquet_name(split: str) -> str:
    return f"{PARQUET_DIR}/{HF_SPLITS[split]}-00000-of-00001.parquet"


@dataclass
class SplitResult:
    name: str  # train / validation / test
    rows: int = 0
    tokens: int = 0
    spans: Counter[str] = field(default_factory=Counter)
    parquet: str = ""
    nbytes: int = 0


class NotReady(Exception):
    """`build_batch(ready=...)` met a row that is not ready as it is."""


def build_batch(
    rows: Sequence[Row],
    labels: Sequence[str],
    schema: Any,
    ready: Callable[[Record], bool] | None = None,
) -> tuple[Any, list[int], int]:
    """One Arrow record batch for `rows`, the number of spans per label (labels' order) and of
    tokens.

    Every row has tokens and sorted, non-overlapping spans with token indices (see `prepare`).
    With `ready`, each row is checked by it right after its tokens are read, while they are still
    in the CPU's cache (a separate pass over the chunk would fetch them from memory again), and a
    row that is not ready raises `NotReady`. Spans are gathered per batch."""
    import numpy as np
    import pyarrow as pa

    utf8: list[bytes] = []  # per row, its token texts one after the other
    sizes: list[Any] = []  # per row, each token's size in bytes there
    n_tokens: list[int] = []
    spans: list[Span] = []
    n_spans: list[int] = []
    for row in rows:
        rec = row.record
        columns = getattr(rec, "token_columns", None)  # a `lean.Columned`: checked, ready
        if columns is not None:
            utf8.append(columns.utf8)
            sizes.append(columns.sizes)
            n_tokens.append(len(columns.sizes))
        else:
            texts = getattr(rec, "token_texts", None)  # a `lean.Lean`: checked, ready
            if texts is None:
                toks = rec.tokens
                if toks is None:
                    raise NotReady
                texts = [t.text for t in toks]
                if ready is not None and not ready(rec):
                    raise NotReady
            encoded = [t.encode() for t in texts]
            utf8.append(b"".join(encoded))
            sizes.append(np.fromiter(map(len, encoded), np.int32, len(encoded)))
            n_tokens.append(len(texts))
        these = rec.spans or ()
        spans.extend(these)
        n_spans.append(len(these))

    token_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(n_tokens, out=token_offsets[1:])
    span_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(n_spans, out=span_offsets[1:])
    row_base = np.repeat(token_offsets[:-1], n_spans)  # first token of each span's article
    b_id = {label: 1 + 2 * i for i, label in enumerate(labels)}
    n = len(spans)
    first = row_base + np.fromiter(map(attrgetter("token_start"), spans), np.int64, n)
    last = row_base + np.fromiter(map(attrgetter("token_end"), spans), np.int64, n)
    span_labels = list(map(attrgetter("label"), spans))
    tag = np.fromiter(map(b_id.__getitem__, span_labels), np.int64, n)
    tags = np.zeros(int(token_offsets[-1]), dtype=np.int64)
    tags[first] = tag
    inside = last - first  # I- tokens per span
    total_inside = int(inside.sum())
    if total_inside:  # positions first+1 .. last of every span, without a Python loop
        starts = np.repeat(first + 1 - np.cumsum(inside) + inside, inside)
        tags[starts + np.arange(total_inside)] = np.repeat(tag + 1, inside)
    counts = np.bincount((tag - 1) // 2, minlength=len(labels)).tolist() if len(tag) else []

    spans_type = schema.field("spans").type
    span_struct = pa.StructArray.from_arrays(
        [
            pa.array(np.fromiter(map(attrgetter("start"), spans), np.int32, n)),
            pa.array(np.fromiter(map(attrgetter("end"), spans), np.int32, n)),
            pa.array(span_labels, pa.string()),
        ],
        fields=list(spans_type.value_type),
    )
    arrays = [
        pa.array([row.id for row in rows], pa.string()),
        pa.array([row.record.text for row in rows], pa.string()),
        pa.ListArray.from_arrays(
            pa.array(token_offsets.astype(np.int32)),
            _strings(utf8, sizes),
            type=schema.field("tokens").type,
        ),
        pa.ListArray.from_arrays(
            pa.array(token_offsets.astype(np.int32)),
            pa.array(tags),
            type=schema.field("ner_tags").type,
        ),
        pa.ListArray.from_arrays(
            pa.array(span_offsets.astype(np.int32)), span_struct, type=spans_type
        ),
        pa.array([row.annotators for row in rows], schema.field("annotators").type),
        pa.array([orjson.dumps(row.record.meta or {}).decode() for row in rows], pa.string()),
    ]
    batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
    return batch, [int(c) for c in counts], int(token_offsets[-1])


def _strings(utf8: list[bytes], sizes: list[Any]) -> Any:
    """One Arrow string array of every row's token texts, from their UTF-8 bytes and sizes."""
    import numpy as np
    import pyarrow as pa

    all_sizes = np.concatenate(sizes) if sizes else np.zeros(0, np.int32)
    offsets = np.zeros(len(all_sizes) + 1, np.int64)
    np.cumsum(all_sizes, out=offsets[1:])
    if offsets[-1] > MAX_STRING_BYTES:  # never wrapped around into wrong offsets
        raise UsageError(
            f"the token texts of one chunk of articles come to {offsets[-1]:,} bytes, over the "
            f"{MAX_STRING_BYTES:,} an Arrow string column holds: export these as --format jsonl"
        )
    offsets = offsets.astype(np.int32)
    data = b"".join(utf8)
    return pa.Array.from_buffers(
        pa.string(), len(all_sizes), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _fingerprint(split: str, rows: Sequence[Row], labels: Sequence[str]) -> str:
    """Deterministic (the same export gives the same files), unlike `datasets`' random one."""
    h = hashlib.blake2b(digest_size=8)
    h.update(orjson.dumps([split, list(labels)]))
    h.update("\0".join([row.id for row in rows]).encode())
    return h.hexdigest()


ARROW_FILE = "data-00000-of-00001.arrow"


class _SplitWriter:
    """One split's two files, each written by its own background thread: the parquet file, and
    the Arrow stream file with `state.json` / `dataset_info.json` exactly as
    `Dataset.save_to_disk` lays them out (a test compares the two), so that
    `datasets.load_from_disk` reads the folder. The Arrow file is written with pyarrow's stream
    writer directly (what `datasets`' `ArrowWriter` does inside, without its per-slice Python
    work, which would wait for the GIL)."""

    def __init__(self, out: Path, res: SplitResult, feats: Any, fingerprint: str) -> None:
        self.out, self.res, self.feats, self.fingerprint = out, res, feats, fingerprint
        self.folder = out / res.name
        self.folder.mkdir()
        self.parquet: Any = None
        self.sink: Any = None
        self.arrow: Any = None

    def write_parquet(self, batch: Any) -> None:
        import pyarrow.parquet as pq

        if self.parquet is None:
            self.parquet = pq.ParquetWriter(
                self.out / self.res.parquet,
                batch.schema,
                compression=PARQUET_COMPRESSION,
                use_dictionary=PARQUET_DICTIONARY,
                write_statistics=False,
            )
        self.parquet.write_batch(batch)

    def write_arrow(self, batch: Any) -> None:
        import pyarrow as pa

        if self.arrow is None:
            self.sink = pa.OSFile(str(self.folder / ARROW_FILE), "wb")
            self.arrow = pa.ipc.new_stream(self.sink, batch.schema)
        self.arrow.write_batch(batch)
        self.res.nbytes += batch.nbytes

    def close_parquet(self) -> None:
        self.parquet.close()

    def close_arrow(self, description: str) -> None:
        import datasets
        from datasets.utils.py_utils import asdict

        self.arrow.close()
        self.sink.close()
        state: dict[str, Any] = {
            "_data_files": [{"filename": ARROW_FILE}],
            "_fingerprint": self.fingerprint,
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": self.res.name,
        }
        (self.folder / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
        info = asdict(datasets.DatasetInfo(description=description, features=self.feats))
        (self.folder / "dataset_info.json").write_text(
            json.dumps({key: info[key] for key in sorted(info)}, indent=2)
        )

    def fsync(self, closed: list[Future[None]]) -> None:
        for fut in closed:
            fut.result()
        for path in (self.out / self.res.parquet, self.folder / ARROW_FILE):
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())

    def abort_parquet(self) -> None:
        self._close(self.parquet)

    def abort_arrow(self) -> None:  # on the Arrow lane: never while that lane is writing
        self._close(self.arrow, self.sink)

    @staticmethod
    def _close(*parts: Any) -> None:
        for part in parts:
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()


def _lower_priority() -> None:
    """Writer threads yield the CPU to the main thread, which builds the batches: it is the
    critical path, and with as many busy threads as cores it would otherwise get a share only
    (Linux schedules threads one by one, so this niceness is the thread's own)."""
    with contextlib.suppress(AttributeError, OSError):
        tid = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, niceness + WRITER_NICENESS))


class HfWriter:
    """Writes `out/` (an existing empty folder): the DatasetDict and `data/*.parquet`, from Arrow
    record batches given in order (`add`), split after split.

    A parquet thread and an Arrow thread write the batches, at most `MAX_PENDING` behind, and a
    third thread fsyncs each split's files while the next split is written. `finish()` returns
    one `SplitResult` per written split; on an exception, use it as a context manager so that
    the files are closed."""

    def __init__(
        self, out: Path, labels: Sequence[str], fingerprints: dict[str, str], description: str = ""
    ) -> None:
        self.out, self.labels, self.fingerprints = out, list(labels), fingerprints
        self.description = description
        self.feats = features(labels)
        (out / PARQUET_DIR).mkdir()
        self.results: list[SplitResult] = []
        self.writers: list[_SplitWriter] = []
        self.pending: deque[Future[None]] = deque()
        self.parquet_lane = ThreadPoolExecutor(1, "export-parquet", _lower_priority)
        self.arrow_lane = ThreadPoolExecutor(1, "export-arrow", _lower_priority)
        self.sync_lane = ThreadPoolExecutor(1, "export-fsync", _lower_priority)
        self.split: str | None = None

    def add(self, split: str, batch: Any, tokens: int, spans: Counter[str]) -> None:
        if split != self.split:
            self._close_split()
            self.split = split
            res = SplitResult(HF_SPLITS[split], parquet=parquet_name(split))
            self.writers.append(_SplitWriter(self.out, res, self.feats, self.fingerprints[split]))
            self.results.append(res)
        writer = self.writers[-1]
        res = writer.res
        res.rows += batch.num_rows
        res.tokens += tokens
        res.spans.update(spans)
        self.pending.append(self.parquet_lane.submit(writer.write_parquet, batch))
        self.pending.append(self.arrow_lane.submit(writer.write_arrow, batch))
        while len(self.pending) > 2 * MAX_PENDING:
            self.pending.popleft().result()

    def _close_split(self) -> None:
        if self.split is None:
            return
        writer = self.writers[-1]
        closed = [
            self.parquet_lane.submit(writer.close_parquet),
            self.arrow_lane.submit(writer.close_arrow, self.description),
        ]
        self.pending.extend(closed)
        self.pending.append(self.sync_lane.submit(writer.fsync, closed))

    def finish(self) -> list[SplitResult]:
        self._close_split()
        self.split = None
        while self.pending:
            self.pending.popleft().result()
        names = [r.name for r in self.results]
        (self.out / "dataset_dict.json").write_text(json.dumps({"splits": names}))
        return self.results

    def __enter__(self) -> HfWriter:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            for fut in self.pending:
                fut.cancel()
            for writer in self.writers:  # after what is running (one thread each)
                self.parquet_lane.submit(writer.abort_parquet)
                self.arrow_lane.submit(writer.abort_arrow)
        for lane in (self.parquet_lane, self.arrow_lane, self.sync_lane):
            lane.shutdown(wait=True)


def fingerprint(split: str, rows: Sequence[Row], labels: Sequence[str]) -> str:
    return _fingerprint(HF_SPLITS[split], rows, labels)
