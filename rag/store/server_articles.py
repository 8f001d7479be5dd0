"""The article texts and chunk offsets kept in the Chroma server beside the vectors, so that a
replica holds no state of its own (RAG_CHROMA_URL).

With a Chroma server, every replica (`rag serve` on another port or machine) answers from the
same server: the chunk vectors are in the `chunks` collection, and each article is one record of
the `chunks-articles` collection (the text as its document; title, date, source, url, path,
digest and the chunk offsets in its metadata; a constant one-number embedding, never searched).
The collection's metadata holds a `version` token, replaced by every committed change, and the
`seq` of that change.

The change log: every record written carries a `seq` (microseconds since the epoch, and above the
last committed `seq`), and a removed article leaves a tombstone with its `seq` in the
`chunks-removed` collection. A replica that has followed once asks only for what changed since its
watermark (`changes_since`), instead of reading every article's digest: at 20,000 articles (~250k
chunks) that is the difference between reading 20,000 metadata rows and reading a handful.

A replica's store folder is only a cache of that: its SQLite copy of the articles and its
keyword index are brought up to date from the server when the token differs from the one the
copy was made from (at start, and by `rag serve` every `replica_poll_s` seconds), so an article
ingested through one replica is answerable through the others within seconds, and a new replica
on an empty folder starts with everything."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from rag.models import Article, ArticleRecord, Chunk
from rag.store.vector_store import metadata_field

VERSION_KEY = "version"
MODEL_KEY = "embed_model"
SEQ_KEY = "seq"
_DUMMY = [1.0]  # Chroma stores an embedding with every record; these are fetched, never searched


class ServerArticles:
    def __init__(self, client: Any, collection: str, batch_size: int) -> None:
        self.client = client
        self.name = f"{collection}-articles"
        self.collection = client.get_or_create_collection(self.name, embedding_function=None)
        self.removed = client.get_or_create_collection(f"{collection}-removed", embedding_function=None)
        self.batch_size = batch_size

    # --- the version token -------------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return dict(self.client.get_collection(self.name).metadata or {})

    def version(self) -> str | None:
        """The token of the last committed change; None when no replica ever wrote here."""
        token = self._meta().get(VERSION_KEY)
        return str(token) if token else None

    def embed_model(self) -> str | None:
        """The embedding model the vectors were made with, as the writer recorded it."""
        model = self._meta().get(MODEL_KEY)
        return str(model) if model else None

    def committed_seq(self) -> int | None:
        """The `seq` of the last committed change; None on a server written before the change log."""
        seq = self._meta().get(SEQ_KEY)
        return int(seq) if seq is not None else None

    def next_seq(self) -> int:
        """A `seq` above every committed one: this machine's clock in microseconds, or one more
        than the last commit where another machine's clock ran ahead."""
        return max(time.time_ns() // 1000, (self.committed_seq() or 0) + 1)

    def bump(self, embed_model: str | None) -> tuple[str, int]:
        """Commit: a new version token and `seq`; returns both."""
        token, seq = uuid.uuid4().hex, self.next_seq()
        self.collection.modify(
            metadata={VERSION_KEY: token, SEQ_KEY: seq, **({MODEL_KEY: embed_model} if embed_model else {})}
        )
        return token, seq

    # --- records -----------------------------------------------------------------------------
    def put_many(self, records: Sequence[ArticleRecord]) -> None:
        """Write (or replace) articles with their digests and chunk offsets."""
        for i in range(0, len(records), self.batch_size):
            part = records[i : i + self.batch_size]
            seq = self.next_seq()  # stamped as written: a replica's window (replica.LAG_US) covers it
            ids = [r.article.id for r in part]
            self.collection.upsert(
                ids=ids,
                documents=[r.article.text for r in part],
                embeddings=[_DUMMY] * len(part),
                metadatas=[{**_meta(r), SEQ_KEY: seq} for r in part],
            )
            self.removed.delete(ids=ids)  # back again: no longer removed

    def delete(self, article_ids: Sequence[str]) -> None:
        for i in range(0, len(article_ids), self.batch_size):
            ids = list(article_ids[i : i + self.batch_size])
            seq = self.next_seq()
            self.removed.upsert(ids=ids, embeddings=[_DUMMY] * len(ids), metadatas=[{SEQ_KEY: seq}] * len(ids))
            self.collection.delete(ids=ids)

    def changes_since(self, seq: int) -> tuple[dict[str, str], list[str]]:
        """(id -> digest of the articles written after `seq`, ids removed after it): the change
        log's window, read from the `seq` metadata only, never the whole collection."""
        where = {SEQ_KEY: {"$gt": seq}}
        got = self.collection.get(where=where, include=["metadatas"])
        changed = {
            rid: str((m or {}).get("hash", "")) for rid, m in zip(got["ids"], got["metadatas"] or [], strict=True)
        }
        removed = self.removed.get(where=where, include=[])["ids"]
        return changed, [i for i in removed if i not in changed]

    def hashes(self) -> dict[str, str]:
        """id -> digest of every article on the server."""
        return metadata_field(self.collection, "hash")

    def get_many(self, ids: Iterable[str]) -> list[ArticleRecord]:
        """The record of each of `ids` found on the server."""
        ids = list(ids)
        out: list[ArticleRecord] = []
        for i in range(0, len(ids), 500):
            got = self.collection.get(ids=ids[i : i + 500], include=["documents", "metadatas"])
            for aid, text, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
                out.append(_record(aid, str(text or ""), dict(m or {})))
        return out

    def count(self) -> int:
        return int(self.collection.count())


def _meta(r: ArticleRecord) -> dict[str, str | int]:
    a = r.article
    return {
        "title": a.title,
        "date": a.date.isoformat() if a.date else "",
        "dated_by": a.dated_by,
        "story": a.story,
        "source": a.source,
        "url": a.url,
        "path": a.path,
        "hash": r.digest,
        "chunks": json.dumps([[c.id, c.start, c.end] for c in r.chunks]),
    }


def _record(aid: str, text: str, m: dict[str, Any]) -> ArticleRecord:
    date = str(m.get("date") or "")
    article = Article(
        id=aid,
        title=str(m.get("title", "")),
        date=dt.date.fromisoformat(date) if date else None,
        # articles published before dates were traced: given, as the store's own migration says
        dated_by=str(m.get("dated_by", "given" if date else "")),  # type: ignore[arg-type]
        source=str(m.get("source", "")),
        story=str(m.get("story", "")),
        url=str(m.get("url", "")),
        path=str(m.get("path", "")),
        text=text,
    )
    chunks = tuple(
        Chunk(id=cid, article_id=aid, start=int(s), end=int(e), text=text[int(s) : int(e)])
        for cid, s, e in json.loads(str(m.get("chunks") or "[]"))
    )
    return ArticleRecord(article, str(m.get("hash", "")), chunks)
