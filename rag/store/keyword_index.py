"""BM25 keyword search over chunks (bm25s), with the metadata needed to filter it."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from rag.models import Filters, Hit
from rag.text.analyzer import ANALYZER_VERSION, terms


class KeywordIndex:
    """bm25s cannot add documents in place, so the store rebuilds it after every change."""

    def __init__(
        self,
        retriever: Any,
        ids: list[str],
        dates: np.ndarray,
        sources: list[str],  # a bm25s.BM25 or None
        article_ids: list[str],
        df: dict[str, int],
    ) -> None:
        self.retriever = retriever
        self.ids = ids
        self.dates = dates
        self.sources = np.asarray(sources, dtype=object)
        self.article_ids = article_ids
        self.df = df
        self.n_docs = len(ids)
        self.position = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, int, str, str]]) -> KeywordIndex:
        import bm25s

        ids: list[str] = []
        texts: list[str] = []
        dates: list[int] = []
        sources: list[str] = []
        article_ids: list[str] = []
        for cid, text, d, src, aid in rows:
            ids.append(cid)
            texts.append(text)
            dates.append(d)
            sources.append(src or "")
            article_ids.append(aid)
        retriever = bm25s.BM25()
        df: dict[str, int] = {}
        if texts:
            corpus = [terms(t) for t in texts]
            retriever.index(corpus, show_progress=False)
            for toks in corpus:
                for t in set(toks):
                    df[t] = df.get(t, 0) + 1
        return cls(retriever, ids, np.asarray(dates, dtype=np.int64), sources, article_ids, df)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self.retriever.save(str(folder), show_progress=False)
        meta = {
            "analyzer": ANALYZER_VERSION,
            "ids": self.ids,
            "dates": self.dates.tolist(),
            "sources": self.sources.tolist(),
            "article_ids": self.article_ids,
            "df": self.df,
        }
        tmp = folder / "meta.json.tmp"
        tmp.write_text(json.dumps(meta))
        tmp.replace(folder / "meta.json")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        import bm25s

        meta_path = folder / "meta.json"
        if not meta_path.exists():
            return None
        meta = json.loads(meta_path.read_text())
        if meta.get("analyzer") != ANALYZER_VERSION:
            return None
        retriever = bm25s.BM25.load(str(folder), show_progress=False) if meta["ids"] else None
        return cls(
            retriever,
            meta["ids"],
            np.asarray(meta["dates"], dtype=np.int64),
            meta["sources"],
            meta["article_ids"],
            meta["df"],
        )

    def chunk_meta(self, chunk_id: str) -> dict[str, str | int] | None:
        """The chunk's article, date and source (as Chroma holds them), None if not indexed."""
        i = self.position.get(chunk_id)
        if i is None:
            return None
        return {"article_id": self.article_ids[i], "date": int(self.dates[i]), "source": str(self.sources[i])}

    def idf(self, term: str) -> float:
        n = self.df.get(term, 0)
        return math.log(1 + (self.n_docs - n + 0.5) / (n + 0.5))

    def mask(self, filters: Filters) -> np.ndarray | None:
        if filters.is_empty():
            return None
        m = np.ones(self.n_docs, dtype=bool)
        lo, hi = filters.date_bounds()
        if lo is not None:
            m &= self.dates >= lo
        if hi is not None:
            m &= self.dates <= hi
        if filters.sources:
            m &= np.isin(self.sources, list(filters.sources))
        return m

    def search(self, query: str, k: int, filters: Filters) -> list[Hit]:
        q = terms(query)
        if not q or not self.n_docs or self.retriever is None:
            return []
        mask = self.mask(filters)
        scores = self.retriever.get_scores(q)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, self.n_docs)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [
            Hit(chunk_id=self.ids[i], article_id=self.article_ids[i], score=float(scores[i]))
            for i in top
            if scores[i] > 0
        ]
