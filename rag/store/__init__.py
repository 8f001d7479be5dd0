"""Stage 3, store: the store's three parts (`article_db`: SQLite texts and spans, `vector_store`:
Chroma, `keyword_index`: BM25) behind `Store`; its folder's guard and write lock; incremental
ingestion (`ingest`, with each sentence's vector and entities: `sentence_vectors`,
`sentence_entities`); `rag check` (`check`); with a Chroma server, the articles and keyword index
kept there and the replicas that follow them (`server_articles`, `server_keywords`, `replica`).
Uses text and embed."""

from rag.store.check import CheckReport, check_store
from rag.store.guard import StoreError
from rag.store.ingest import ProgressFn, ingest_articles
from rag.store.lock import StoreBusyError
from rag.store.replica import Follower, follow, publish
from rag.store.store import EMBED_MODEL, Store

__all__ = [
    "EMBED_MODEL",
    "CheckReport",
    "Follower",
    "ProgressFn",
    "Store",
    "StoreBusyError",
    "StoreError",
    "check_store",
    "follow",
    "ingest_articles",
    "publish",
]
