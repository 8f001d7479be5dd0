"""Sentence vectors stored at ingest, so a question never embeds the sentences it reads.

The reader (rag.answerers.reader) compares the question with every sentence of the retrieved
passages. Embedding those ~35 sentences was ~85% of a first-time question's time (news-2023,
quiet: 204 ms median, against 30 ms once they are remembered). Embedded at ingest instead, a
question only reads them. They are kept in int8 (one scale per vector; a cosine moves by ~1e-4),
384 bytes a sentence, one row per article; a sentence is keyed by its offsets in the article,
which are the offsets the reader's pool finds (the same splitter over the same chunks)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from rag.models import Chunk, SentenceKey
from rag.text.splitter import sentence_spans


def chunk_sentences(chunks: Sequence[Chunk]) -> list[tuple[int, int]]:
    """Every sentence of an article's chunks, once (chunks overlap by a sentence), in order."""
    return list(dict.fromkeys(span for c in chunks for span in sentence_spans(c.text, offset=c.start)))


def pack(spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> tuple[bytes, bytes, bytes]:
    """(spans, int8 vectors, scales) as stored; `vectors` one row per span."""
    if len(spans) != len(vectors):
        raise ValueError(f"{len(spans)} sentences but {len(vectors)} vectors")
    scales = np.abs(vectors).max(axis=1, keepdims=True) / 127.0 if len(vectors) else np.zeros((0, 1))
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    q = np.rint(vectors / scales).astype(np.int8)
    return np.asarray(spans, dtype=np.int32).tobytes(), q.tobytes(), scales.tobytes()


def unpack(
    article_id: str, spans: bytes, vectors: bytes, scales: bytes, wanted: Collection[tuple[int, int]] | None = None
) -> dict[SentenceKey, np.ndarray]:
    """The stored row's vectors by key: all, or those of the `wanted` (start, end) spans only
    (a question reads ~35 of the ~70 sentences of its articles)."""
    at = [(int(s), int(e)) for s, e in np.frombuffer(spans, dtype=np.int32).reshape(-1, 2)]
    rows = [i for i, span in enumerate(at) if wanted is None or span in wanted]
    if not rows:
        return {}
    scale = np.frombuffer(scales, dtype=np.float32)[rows, None]
    vecs = np.frombuffer(vectors, dtype=np.int8).reshape(len(at), -1)[rows].astype(np.float32) * scale
    return {(article_id, *at[i]): v for i, v in zip(rows, vecs, strict=True)}
