"""A hand-written spaCy DocBin export (the baseline of `bench_stream`): spaCy's tokenizer,
`char_span` into `doc.ents`, one DocBin. Spans off token boundaries are silently dropped.

    python -m tests.bench.baselines.docbin_script IN.jsonl OUT.spacy
"""

import json
import sys

import spacy
from spacy.tokens import DocBin

nlp = spacy.blank("fr")
db = DocBin()
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        record = json.loads(line)
        doc = nlp.make_doc(record["text"])
        ents = []
        for span in record.get("spans") or []:
            ent = doc.char_span(span["start"], span["end"], label=span["label"])
            if ent is not None and not any(e.end > ent.start and ent.end > e.start for e in ents):
                ents.append(ent)
        doc.ents = ents
        db.add(doc)
db.to_disk(sys.argv[2])
