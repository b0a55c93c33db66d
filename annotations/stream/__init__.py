"""Batch work over files of any size: byte ranges of a JSONL file (`ranges`), an ordered map over
worker processes or a Dask cluster (`runner`), and the index of the first pass (`index`)."""
