"""Sentence-aware chunking that keeps character offsets into the article text."""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache

from .models import Article, Chunk

Span = tuple[int, int]

_LINE = re.compile(r"[^\n]+")


@lru_cache(maxsize=1)
def _punkt():  # type: ignore[no-untyped-def]
    # llama-index-core ships NLTK's Punkt tables, so sentence splitting needs no download.
    import llama_index.core
    import nltk
    from nltk.tokenize import PunktTokenizer

    cache = os.path.join(os.path.dirname(llama_index.core.__file__), "_static", "nltk_cache")
    if cache not in nltk.data.path:
        nltk.data.path.insert(0, cache)
    return PunktTokenizer("english")


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


def chunk_id(article_id: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{article_id}:{start}:{end}".encode()).hexdigest()[:20]


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
