"""Keeping a replica's copy of the articles in step with the Chroma server (see
rag.store.server_articles for the design): `follow` once at start, a `Follower` thread in `rag serve`,
and `publish` to move a store kept in its folder onto a server."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from rag.models import ArticleRecord
from rag.store.guard import StoreError
from rag.store.lock import StoreBusyError
from rag.store.server_articles import ServerArticles
from rag.store.store import Store

log = logging.getLogger(__name__)


# How far back a follow re-reads the change log before its watermark. A writer stamps each batch
# just before it upserts it (server_articles.next_seq: its clock, and above every committed seq),
# so a batch is missed only where two writers overlap and their clocks differ by more than this.
# Re-reading costs only the digests of what changed in the window.
LAG_US = 30_000_000


def follow(store: Store, wait_s: float | None = None) -> bool:
    """Bring the store's copy up to date with the server; True when articles changed.

    The first follow compares every digest; later ones read only the server's change log since
    this copy's watermark (rag.store.server_articles). A server that no replica has written
    articles to yet (its vectors came from an older version of this program) gets this copy's
    articles instead, so nothing stored is lost."""
    server = store.server
    if server is None:
        return False
    token = server.version()
    if token is not None and token == store.db.meta("server_version"):
        return False
    with store.writing(wait_s):
        if token is None:
            if store.db.hashes():
                _put_articles(store, server)
                store.db.set_meta("server_version", server.bump(store.db.meta("embed_model"))[0])
            return False
        committed = server.committed_seq()  # read first: the next window starts before it
        mark = store.db.meta("server_seq")
        if mark is not None and committed is not None:
            theirs, removed = server.changes_since(int(mark) - LAG_US)
            ours = store.db.hashes([*theirs, *removed])  # only these: reading every digest was most of it
            gone = [i for i in removed if i in ours]
        else:  # no watermark yet (or a server from before the change log): every digest
            theirs = server.hashes()
            ours = store.db.hashes()
            gone = [i for i in ours if i not in theirs]
        changed = [i for i, h in theirs.items() if ours.get(i) != h]
        if changed:
            records = server.get_many(changed)
            store.db.put_many(records)
            store.db.mark_complete(r.article.id for r in records)
        for aid in gone:
            store.db.delete(aid)
        if store.db.meta("embed_model") is None and (model := server.embed_model()):
            store.db.set_meta("embed_model", model)
        store.db.set_meta("server_version", token)
        if committed is not None:
            store.db.set_meta("server_seq", str(committed))
        store.wrote()
    if changed or gone:
        log.info("replica: %d article(s) new or changed, %d removed (server %s)", len(changed), len(gone), token)
    return bool(changed or gone)


class Follower(threading.Thread):
    """Polls the server every `replica_poll_s` seconds and copies what changed. The keyword index
    is brought up to date here too, never by a question (questions use the previous one
    meanwhile): once the server has been quiet for `replica_quiet_s`, the index the writer
    published for these articles is loaded (rag.store.server_keywords); only when none has come
    and the index is `replica_max_stale_s` old does the replica build its own (~6 s for 44k
    chunks). An ingest elsewhere changes the server after every batch (every few seconds), and
    building after each took most of a replica's time. New articles are found by their vectors
    meanwhile."""

    def __init__(self, store: Store) -> None:
        super().__init__(name="rag-replica-follower", daemon=True)
        self.store = store
        self.poll_s = store.config.replica_poll_s
        self.quiet_s = store.config.replica_quiet_s
        self.max_stale_s = store.config.replica_max_stale_s
        self._stop = threading.Event()

    def run(self) -> None:
        stale_since = last_change = 0.0
        while not self._stop.wait(self.poll_s):
            try:
                now = time.monotonic()
                if follow(self.store, wait_s=0):
                    stale_since, last_change = stale_since or now, now
                if stale_since:
                    quiet, overdue = now - last_change >= self.quiet_s, now - stale_since >= self.max_stale_s
                    # quiet: the writer's index is published (or soon is); build one only when overdue
                    if (quiet or overdue) and self.store.rebuild_keywords(wait_s=0, build=overdue):
                        stale_since = 0.0
            except StoreBusyError:  # a writer in this folder: its own rebuild follows; try later
                continue
            except Exception:  # (a server hiccup must not end the replica; next poll retries)
                log.exception("replica: following the Chroma server failed")

    def stop(self) -> None:
        self._stop.set()


def publish(source: Store, url: str) -> tuple[int, int]:
    """Copy a store kept in its folder (vectors and articles) to a Chroma server, so that
    replicas (`RAG_CHROMA_URL=url rag serve --store NEW_FOLDER`) answer from it without
    embedding anything again. Returns (articles, vectors) copied."""
    from rag.store.vector_store import VectorStore

    cfg = source.config
    if cfg.chroma_url:
        raise StoreError(f"the store {source.folder} is on a Chroma server already ({cfg.chroma_url})")
    target = VectorStore(source.folder / "chroma", cfg.collection, url, cfg.chroma_batch_size)
    server = ServerArticles(target.client, cfg.collection, target.batch_size)
    with source.writing():  # nothing changes while it is copied
        step = target.batch_size
        for offset in range(0, source.vectors.count(), step):
            got = source.vectors.collection.get(include=["embeddings", "metadatas"], limit=step, offset=offset)
            target.upsert(got["ids"], np.asarray(got["embeddings"]), got["metadatas"] or [])
        articles = _put_articles(source, server)
        server.bump(source.db.meta("embed_model"))
    return articles, target.count()


def _put_articles(store: Store, server: ServerArticles) -> int:
    """Write the store's complete articles (text, digest, chunks) to the server; how many."""
    hashes = {i: h for i, h in store.db.hashes().items() if h}
    ids = list(hashes)
    for i in range(0, len(ids), 500):
        arts = store.db.get_many(ids[i : i + 500]).values()
        server.put_many([ArticleRecord(a, hashes[a.id], tuple(store.db.chunks_of(a))) for a in arts])
    return len(ids)
