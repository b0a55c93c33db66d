"""The `relecture` command line (Typer). The domain commands live here; `tui` adds the ones that
open a screen (`demo`, `annotate`)."""
