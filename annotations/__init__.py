"""relecture's domain: records, reading and writing, sources, suggesters, review state, agreement,
export and the command line. Importable without Textual (a test enforces it)."""

__version__ = "0.1.0"
