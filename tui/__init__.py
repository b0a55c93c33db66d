"""relecture's terminal interface (Textual): a thin view over `annotations`' review session."""
