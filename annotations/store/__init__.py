"""Durable JSONL storage: safe line reading, the append-only writer, the large-file index."""
