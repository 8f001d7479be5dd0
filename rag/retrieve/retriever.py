"""Hybrid retrieval: dense (Chroma) + keyword (BM25), fused by reciprocal rank, with
date/source filters and a recency preference relative to an as-of date."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from rag.config import RagConfig
from rag.models import Filters, Hit
from rag.store.keyword_index import KeywordIndex
from rag.store.store import Store


def rrf(rankings: list[list[Hit]], k: int, weights: list[float] | None = None) -> dict[str, float]:
    """Weighted reciprocal rank fusion (Cormack et al. 2009): robust to the retrievers' score scales."""
    fused: dict[str, float] = {}
    for hits, w in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, h in enumerate(hits):
            fused[h.chunk_id] = fused.get(h.chunk_id, 0.0) + w / (k + rank + 1)
    return fused


def recency_weight(date: int, as_of: dt.date, cfg: RagConfig) -> float:
    """1 + `recency_boost` that halves every `recency_half_life_days` before `as_of`; none when undated
    or older than the window (old background articles still count, on their merit)."""
    if date <= 0:
        return 1.0
    d = dt.date(date // 10000, date // 100 % 100, date % 100)
    age = (as_of - d).days
    if age < 0 or age > cfg.recency_window_days:
        return 1.0
    return 1.0 + cfg.recency_boost * math.pow(0.5, age / cfg.recency_half_life_days)


class Retriever:
    def __init__(self, store: Store, config: RagConfig) -> None:
        self.store = store
        self.cfg = config

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        *,
        k: int,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
        index: KeywordIndex | None = None,
    ) -> list[Hit]:
        """The top k for the query. `index`: the keyword index to use, as the caller already holds
        it (each `Store.keywords` reads the store's generation: 4 reads a question were ~4 ms of a
        loaded server's time per question)."""
        index = self.store.keywords if index is None else index
        dense, keyword = self.candidates(query, query_vector, self.cfg.candidates, filters, as_of, index)
        return self.fuse(dense, keyword, k=k, as_of=as_of, index=index)

    def candidates(
        self,
        query: str,
        query_vector: np.ndarray,
        n: int,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
        index: KeywordIndex | None = None,
    ) -> tuple[list[Hit], list[Hit]]:
        """The dense and the keyword ranking, `n` each; nothing dated after `as_of`."""
        filters = (filters or Filters()).capped(as_of)
        kw = self.store.keywords if index is None else index
        return (self.store.vectors.search(query_vector, n, filters, known=kw.chunk_meta), kw.search(query, n, filters))

    def fuse(
        self,
        dense: list[Hit],
        keyword: list[Hit],
        *,
        k: int,
        as_of: dt.date | None = None,
        config: RagConfig | None = None,
        index: KeywordIndex | None = None,
    ) -> list[Hit]:
        """The top k of both rankings fused, with the recency preference (`config` overrides
        the engine's fusion settings: eval.tune_retrieval tries many on the same candidates)."""
        cfg = config or self.cfg
        dense, keyword = dense[: cfg.candidates], keyword[: cfg.candidates]
        fused = rrf([dense, keyword], cfg.rrf_k, [cfg.dense_weight, 1.0])
        article_of = {h.chunk_id: h.article_id for h in dense + keyword}
        if as_of is not None and fused:
            kw = self.store.keywords if index is None else index
            for cid in fused:
                i = kw.position.get(cid)
                if i is not None:
                    fused[cid] *= recency_weight(int(kw.dates[i]), as_of, cfg)
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])[:k]
        return [Hit(chunk_id=cid, article_id=article_of[cid], score=s) for cid, s in ranked]
