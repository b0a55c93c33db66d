"""Training a spaCy NER pipeline from curated records (`relecture train`, `train-curve`, and the
model retrained in the background while annotators work)."""
