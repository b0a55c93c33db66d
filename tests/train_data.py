"""Small curated records for training tests: short French news sentences from templates, with
their PER / ORG / LOC spans, as an annotator would have accepted them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

PEOPLE = ["Marie Curie", "Jean Dupont", "Claire Martin", "Paul Lefèvre", "Sophie Bernard"]
ORGS = ["Renault", "la SNCF", "Airbus", "Orange", "la BNP"]
PLACES = ["Lyon", "Marseille", "Toulouse", "Rennes", "Lille", "Bordeaux"]
TEMPLATES = [
    "{PER} a rejoint {ORG} à {LOC} cette semaine.",
    "Selon {PER}, {ORG} ouvrira un site près de {LOC}.",
    "À {LOC}, {PER} a présenté les résultats de {ORG}.",
    "{ORG} recrute à {LOC}, annonce {PER}.",
]


def article(rng: random.Random, sentences: int = 4) -> dict[str, Any]:
    text, spans = "", []
    for _ in range(sentences):
        template = rng.choice(TEMPLATES)
        pieces = {"PER": rng.choice(PEOPLE), "ORG": rng.choice(ORGS), "LOC": rng.choice(PLACES)}
        pos = 0
        while pos < len(template):
            at = template.find("{", pos)
            if at < 0:
                text += template[pos:]
                break
            text += template[pos:at]
            label = template[at + 1 : template.index("}", at)]
            value = pieces[label]
            if value.startswith("la "):  # the guideline: the article is not in the span
                text += "la "
                value = value[3:]
            spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
            text += value
            pos = template.index("}", at) + 1
        text += " "
    return {"text": text.strip(), "spans": spans}


def write_records(
    path: Path, n: int, seed: int = 0, answer: str = "accept", annotator: str = "ann"
) -> Path:
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        for i in range(n):
            record = article(rng)
            record.update(answer=answer, _annotator_id=annotator, meta={"id": f"a{seed}-{i}"})
            fh.write(orjson.dumps(record) + b"\n")
    return path
