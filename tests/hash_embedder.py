"""A deterministic stand-in for the embedding model, for unit tests: no model to load, the same
vectors on every machine, and meaning reduced to shared words.

Each word (lower-cased, stemmed, stop words dropped: `rag.store.keyword_index.terms`) and each pair of
neighbouring words is hashed into one of 384 dimensions with a sign; the sum is L2-normalised.
Texts that share words are close, texts that share none are orthogonal: enough to test
splitting, retrieval fusion, answer selection and conflicts without the real model. Tests that
judge answer quality use the real model (`embedder` fixture, `model` marker)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from rag.text.analyzer import terms

DIM = 384
_WORD = re.compile(r"\w+")


def _slot(feature: str) -> tuple[int, float]:
    h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return h % DIM, (1.0 if (h >> 32) & 1 else -1.0)


class HashEmbedder:
    """Hashing bag of words (and word pairs) in 384 dimensions; implements `rag.Embedder`."""

    name = "hash-test"
    dim = DIM

    def __init__(self) -> None:
        self.calls = 0  # how many times `embed` ran (tests of caching count them)

    def vector(self, text: str) -> np.ndarray:
        words = terms(text) or _WORD.findall(text.lower())
        v = np.zeros(DIM, dtype=np.float32)
        for feature in [*words, *(f"{a} {b}" for a, b in pairwise(words))]:
            i, sign = _slot(feature)
            v[i] += sign
        norm = float(np.linalg.norm(v))
        if norm == 0.0:  # no words at all: one fixed direction, never a zero vector
            v[0], norm = 1.0, 1.0
        return v / norm

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self.vector(t) for t in texts])
