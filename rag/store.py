"""The store folder: article texts (SQLite), vectors (Chroma) and keyword index (bm25s),
kept consistent with each other."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .article_db import ArticleDB
from .config import RagConfig
from .keyword_index import KeywordIndex
from .models import Article, Chunk, Stats, date_int
from .vector_store import VectorStore


class Store:
    def __init__(self, config: RagConfig) -> None:
        self.config = config
        self.folder = Path(config.store)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = ArticleDB(self.folder / "articles.sqlite")
        self._vectors: VectorStore | None = None
        self._opening = threading.Lock()
        self._keywords: KeywordIndex | None = None

    @property
    def vectors(self) -> VectorStore:
        """Chroma, opened on first use: importing it and opening the collection take about half a
        second, which `rag stats` and re-ingesting an unchanged corpus don't need."""
        with self._opening:  # the page answers from several threads
            if self._vectors is None:
                cfg = self.config
                self._vectors = VectorStore(
                    self.folder / "chroma", cfg.collection, cfg.chroma_url, cfg.chroma_batch_size
                )
        return self._vectors

    # Writes. Order matters: vectors first, SQLite last, so an interrupted run leaves the
    # article unknown to SQLite and the next ingest redoes it (chunk ids make that idempotent).
    def put_many(self, items: Sequence[tuple[Article, str, list[Chunk], bool]], vectors: np.ndarray) -> None:
        """Store several articles (vectors in chunk order) with one Chroma upsert and one
        SQLite transaction: far fewer round trips than one article at a time."""
        for article, _, _, replace in items:
            if replace:
                self.vectors.delete_article(article.id)
        ids: list[str] = []
        metas: list[dict[str, object]] = []
        for article, _, chunks, _ in items:
            meta = {"article_id": article.id, "date": date_int(article.date), "source": article.source}
            ids.extend(c.id for c in chunks)
            metas.extend([meta] * len(chunks))
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} chunks but {len(vectors)} vectors")
        self.vectors.upsert(ids, vectors, metas)
        self.db.put_many([(article, digest, chunks) for article, digest, chunks, _ in items])

    def delete(self, article_id: str) -> None:
        if self.db.get(article_id) is None:
            raise KeyError(f"no article with id {article_id!r} in {self.folder}")
        self.vectors.delete_article(article_id)
        self.db.delete(article_id)
        self.rebuild_keywords()

    # Keyword index: rebuilt after changes (bm25s has no in-place add).
    def rebuild_keywords(self) -> None:
        index = KeywordIndex.build(self.db.chunk_texts())
        index.save(self.folder / "bm25")
        self._keywords = index

    @property
    def keywords(self) -> KeywordIndex:
        if self._keywords is None:
            self._keywords = KeywordIndex.load(self.folder / "bm25")
            if self._keywords is None or self._keywords.n_docs != self.db.stats().chunks:
                self.rebuild_keywords()
        assert self._keywords is not None
        return self._keywords

    def stats(self) -> Stats:
        return self.db.stats()

    def close(self) -> None:
        self.db.close()
