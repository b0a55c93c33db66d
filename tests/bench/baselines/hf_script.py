"""A hand-written HF export (the baseline of `bench_stream`): spaCy's tokenizer, `char_span`,
BIO tags, `Dataset.from_dict`, `save_to_disk`. Spans off token boundaries are silently dropped.

    python -m tests.bench.baselines.hf_script IN.jsonl OUT_DIR
"""

import json
import sys

import spacy
from datasets import ClassLabel, Dataset, Features, Sequence, Value

LABELS = ["PER", "ORG", "LOC", "MISC", "MONEY", "PERCENT", "DATE"]
NAMES = ["O"] + [f"{p}-{label}" for label in LABELS for p in ("B", "I")]

nlp = spacy.blank("fr")
columns: dict[str, list] = {"id": [], "tokens": [], "ner_tags": []}
with open(sys.argv[1], encoding="utf-8") as fh:
    for i, line in enumerate(fh):
        record = json.loads(line)
        doc = nlp.make_doc(record["text"])
        tags = ["O"] * len(doc)
        for span in record.get("spans") or []:
            ent = doc.char_span(span["start"], span["end"])
            if ent is None:
                continue  # off token boundaries: dropped
            tags[ent.start] = f"B-{span['label']}"
            for k in range(ent.start + 1, ent.end):
                tags[k] = f"I-{span['label']}"
        columns["id"].append(str(i))
        columns["tokens"].append([t.text for t in doc])
        columns["ner_tags"].append([NAMES.index(t) for t in tags])
features = Features(
    {
        "id": Value("string"),
        "tokens": Sequence(Value("string")),
        "ner_tags": Sequence(ClassLabel(names=NAMES)),
    }
)
Dataset.from_dict(columns, features=features).save_to_disk(sys.argv[2])
