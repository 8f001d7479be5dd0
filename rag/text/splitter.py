"""Sentence-aware chunking that keeps character offsets into the article text."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import threading
import types
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from rag.models import Article, Chunk, chunk_id

Span = tuple[int, int]

_LINE = re.compile(r"[^\n]+")


class _SpanTokenizer(Protocol):
    def span_tokenize(self, text: str) -> Iterator[tuple[int, int]]: ...


def _punkt_tables() -> Path:
    """NLTK's English Punkt tables, which llama-index-core ships: no download, ever."""
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("llama-index-core (which ships the Punkt tables) is not installed")
    return Path(spec.origin).parent / "_static" / "nltk_cache" / "tokenizers" / "punkt_tab" / "english"


class _Tables:
    """The tables folder as Punkt's loader reads it (`folder.join(name).open(encoding=...)`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def join(self, name: str) -> Path:
        return self.folder / name


def _punkt_alone() -> _SpanTokenizer:
    """NLTK's Punkt sentence tokenizer, loaded without running `nltk/__init__.py`, which imports
    all of NLTK (scipy.stats, scikit-learn, pandas: ~1.2 s of every `rag ask`) where Punkt needs
    a few small modules. The `nltk` package modules are stand-ins while `nltk.tokenize.punkt`
    loads, and every `nltk*` module is taken out of `sys.modules` afterwards, so a later
    `import nltk` elsewhere in the process gets the whole, real package. Same code, same tables,
    same spans (tests/test_splitter.py compares them with `nltk.tokenize.PunktTokenizer`)."""
    saved = {name: sys.modules.get(name) for name in ("nltk", "nltk.tokenize")}
    before = set(sys.modules)
    try:
        for name in saved:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.submodule_search_locations is None:
                raise ModuleNotFoundError(name)
            stand_in = types.ModuleType(name)
            stand_in.__path__ = list(spec.submodule_search_locations)
            sys.modules[name] = stand_in
        punkt = importlib.import_module("nltk.tokenize.punkt")
        tokenizer: _SpanTokenizer = punkt.PunktSentenceTokenizer(punkt.load_punkt_params(_Tables(_punkt_tables())))
        return tokenizer
    finally:
        for name in set(sys.modules) - before:
            if name == "nltk" or name.startswith("nltk."):
                del sys.modules[name]
        for name, module in saved.items():  # NLTK was imported already: it stays as it was
            if module is not None:
                sys.modules[name] = module


def _punkt_via_nltk() -> _SpanTokenizer:
    """The same tokenizer through NLTK's public API (imports all of NLTK)."""
    import nltk
    from nltk.tokenize import PunktTokenizer

    cache = str(_punkt_tables().parents[2])
    if cache not in nltk.data.path:
        nltk.data.path.insert(0, cache)
    tokenizer: _SpanTokenizer = PunktTokenizer("english")
    return tokenizer


_LOADING = threading.Lock()  # the stand-ins must not be seen by a second thread loading too


@lru_cache(maxsize=1)
def _punkt() -> _SpanTokenizer:
    with _LOADING:
        if "nltk" in sys.modules:  # already imported in full: nothing to save
            return _punkt_via_nltk()
        try:
            return _punkt_alone()
        except (ImportError, AttributeError, OSError, TypeError):  # another NLTK's insides: the slow, sure way
            return _punkt_via_nltk()


def sentence_spans(text: str, offset: int = 0) -> list[Span]:
    """(start, end) of every sentence; a line break always ends a sentence (headlines, captions)."""
    tok = _punkt()
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        seg = line.group()
        for s, e in tok.span_tokenize(seg):
            # trim whitespace so quotes are clean
            while s < e and seg[s].isspace():
                s += 1
            while e > s and seg[e - 1].isspace():
                e -= 1
            if e > s:
                spans.append((offset + line.start() + s, offset + line.start() + e))
    return spans


def split_article(article: Article, chunk_chars: int = 1000, overlap: int = 1) -> list[Chunk]:
    """Group whole sentences into chunks of about `chunk_chars`; consecutive chunks share
    `overlap` sentences so an answer split across a boundary is still found whole."""
    spans = sentence_spans(article.text)
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        j = i + 1
        while j < len(spans) and spans[j][1] - spans[i][0] <= chunk_chars:
            j += 1
        start, end = spans[i][0], spans[j - 1][1]
        chunks.append(
            Chunk(
                id=chunk_id(article.id, start, end),
                article_id=article.id,
                start=start,
                end=end,
                text=article.text[start:end],
            )
        )
        if j >= len(spans):
            break
        i = max(j - overlap, i + 1)
    return chunks
