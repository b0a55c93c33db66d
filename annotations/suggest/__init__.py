"""Suggesters: the spaCy model, French rules for MONEY/PERCENT/DATE, EntityRuler patterns files and
the memory of accepted spans, run as one chain that maps labels, resolves overlaps and snaps spans
to tokens. The review session and `relecture suggest` both use it."""
