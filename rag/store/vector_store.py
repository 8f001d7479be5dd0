"""Dense vectors in Chroma: embedded in the store folder, or a Chroma server (RAG_CHROMA_URL)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.models import Filters, Hit


def _import_chromadb() -> Any:
    """chromadb, without the signature check it runs at import: each of its ~200 `@override`
    methods is compared with its base's (the `overrides` package), 0.44 s of its 1.2 s import on
    this machine, and so of every `rag ask`. The check guards chromadb's own code, which its
    release already passed; the methods are the same with or without it."""
    try:  # the module: the package's `overrides` attribute is the decorator of that name
        ov: Any = importlib.import_module("overrides.overrides")
    except ImportError:  # a chromadb that no longer uses it
        ov = None
    check = getattr(ov, "ensure_signature_is_compatible", None)
    if check is None:  # or another `overrides`: imported as it comes
        import chromadb

        return chromadb
    setattr(ov, "ensure_signature_is_compatible", lambda *args, **kwargs: None)  # noqa: B010
    try:
        import chromadb
    finally:
        setattr(ov, "ensure_signature_is_compatible", check)  # noqa: B010
    return chromadb


def _client(folder: Path, url: str | None) -> Any:
    chromadb = _import_chromadb()
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if url:
        u = urlparse(url if "://" in url else f"http://{url}")
        return chromadb.HttpClient(
            host=u.hostname or "127.0.0.1",
            port=u.port or 8000,
            ssl=u.scheme == "https",
            settings=settings,
        )
    folder.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(folder), settings=settings)


def metadata_field(collection: Any, key: str, step: int = 10_000) -> dict[str, str]:
    """record id -> one metadata field of every record of a Chroma collection, read page by page."""
    out: dict[str, str] = {}
    for offset in range(0, int(collection.count()), step):
        got = collection.get(include=["metadatas"], limit=step, offset=offset)
        for rid, m in zip(got["ids"], got["metadatas"] or [{}] * len(got["ids"]), strict=True):
            out[rid] = str((m or {}).get(key, ""))
    return out


# chunk id -> its metadata (article_id, date, source) as this process already holds it, or None
KnownMeta = Callable[[str], Mapping[str, Any] | None]


def chroma_where(filters: Filters) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    lo, hi = filters.date_bounds()
    if lo is not None:
        clauses.append({"date": {"$gte": lo}})
    if hi is not None:
        clauses.append({"date": {"$lte": hi}})
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class VectorStore:
    def __init__(
        self, folder: Path, name: str, url: str | None = None, batch_size: int = 2000, overfetch: int = 4
    ) -> None:
        self.client = _client(folder, url)
        # embedding_function=None: we always pass our own vectors, so Chroma never
        # loads (or downloads) its default model.
        self.collection = self.client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self.batch_size = min(batch_size, int(self.client.get_max_batch_size()))
        self.overfetch = overfetch

    def close(self) -> None:
        """Forget this folder's cached Chroma system, so the next client reads it afresh (a
        client keeps its HNSW index in memory and misses other processes' writes)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        ident = getattr(self.client, "_identifier", None)
        if ident is not None:
            SharedSystemClient._identifier_to_system.pop(ident, None)
            SharedSystemClient._identifier_to_refcount.pop(ident, None)

    def load(self) -> None:
        """Make Chroma read its index now (it does so on the first query)."""
        if self.count():
            self.collection.query(query_embeddings=np.zeros((1, self.dim()), np.float32), n_results=1, include=[])

    def dim(self) -> int:
        got = self.collection.get(limit=1, include=["embeddings"])
        return len(got["embeddings"][0]) if got["embeddings"] is not None and len(got["embeddings"]) else 0

    def all_ids(self) -> dict[str, str]:
        """chunk id -> article id of every stored vector (for `rag check`)."""
        return metadata_field(self.collection, "article_id")

    def delete_ids(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), self.batch_size):
            self.collection.delete(ids=list(ids[i : i + self.batch_size]))

    def count(self) -> int:
        return int(self.collection.count())

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(ids), self.batch_size):
            self.collection.upsert(
                ids=list(ids[i : i + self.batch_size]),
                embeddings=vectors[i : i + self.batch_size],
                metadatas=list(metadatas[i : i + self.batch_size]),
            )

    def delete_article(self, article_id: str) -> None:
        self.collection.delete(where={"article_id": article_id})

    def search(self, vector: np.ndarray, k: int, filters: Filters, known: KnownMeta | None = None) -> list[Hit]:
        """The k nearest chunks that pass `filters`.

        Chroma's filtered search scans metadata (about 170 ms on the 44k-chunk news store,
        against 5-15 ms unfiltered), so ask first without the filter for `overfetch` times as
        many and filter here: whenever k of them pass, they are exactly the filtered top k.
        Otherwise (a narrow filter) fall back to Chroma's filtered search.

        Returning metadata is most of a query's cost, and holds the GIL: 400 results took 7.7 ms
        with metadata and 2.4 ms without, and two threads gained 1.2x with it against 1.7x
        without. So with `known` (the keyword index's copy of every chunk's article, date and
        source) only ids and distances are asked for; the few chunks `known` lacks (written since
        that index was built) are looked up in Chroma."""
        where = chroma_where(filters)
        if where is None:
            return [h for h, _ in self._query(vector, k, None, known)]
        wide = self._query(vector, k * self.overfetch, None, known)
        lo, hi = filters.date_bounds()
        kept = [h for h, m in wide if _passes(m, lo, hi, filters.sources)]
        if len(kept) >= k or len(wide) < k * self.overfetch:  # enough, or the whole collection
            return kept[:k]
        return [h for h, _ in self._query(vector, k, where, None)]

    def _query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None, known: KnownMeta | None
    ) -> list[tuple[Hit, Mapping[str, Any]]]:
        # An empty collection answers with no ids, so no count() round trip is needed.
        res = self.collection.query(
            query_embeddings=vector.reshape(1, -1),
            n_results=n,
            where=where,
            include=["distances"] if known else ["metadatas", "distances"],
        )
        ids = res["ids"][0]
        dists = res["distances"][0] if res["distances"] else [1.0] * len(ids)
        if known:
            metas: list[Mapping[str, Any] | None] = [known(cid) for cid in ids]
            if missing := [cid for cid, m in zip(ids, metas, strict=True) if m is None]:
                got = self.collection.get(ids=missing, include=["metadatas"])
                found = dict(zip(got["ids"], got["metadatas"] or [], strict=True))
                metas = [m if m is not None else found.get(cid) for cid, m in zip(ids, metas, strict=True)]
        else:
            metas = list(res["metadatas"][0]) if res["metadatas"] else [{}] * len(ids)
        return [
            (
                Hit(chunk_id=cid, article_id=str((m or {}).get("article_id", "")), score=1.0 - float(d)),
                m or {},
            )
            for cid, m, d in zip(ids, metas, dists, strict=True)
        ]


def _passes(meta: Mapping[str, Any], lo: int | None, hi: int | None, sources: tuple[str, ...]) -> bool:
    """The same test as `chroma_where`, on one chunk's metadata."""
    date = int(meta.get("date", 0) or 0)
    return (lo is None or date >= lo) and (hi is None or date <= hi) and (not sources or meta.get("source") in sources)
