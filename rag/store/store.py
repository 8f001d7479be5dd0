"""The store folder: article texts (SQLite), vectors (Chroma) and keyword index (bm25s),
kept consistent with each other.

Write order (so that a kill at any point leaves a store that `rag check` passes or
`rag check --repair` mends, and the next ingest completes what was interrupted):

1. embed the batch (nothing is written yet);
2. one SQLite transaction: the articles' rows (text, digest) and chunk spans, marked
   *incomplete*. Readers ignore incomplete articles; the next ingest redoes them;
3. Chroma: the old vectors of replaced (or half-written) articles deleted, the new ones upserted;
4. one SQLite transaction marks the articles complete;
5. at the end of the run the keyword index is rebuilt from the complete articles into a new
   folder and swapped in, with the generation it was built from: an index of another
   generation is rebuilt (in memory by readers, on disk by the next writer or `--repair`).

Every commit bumps the generation counter in SQLite, so a reader in another process notices a
write before its next question and reopens its vectors and keyword index. Writers hold the
store's lock file (rag.store.lock) for the whole run."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.config import RagConfig
from rag.models import ArticleRecord, Entities, SentenceKey, Stats, date_int
from rag.store.article_db import ArticleDB, ForeignDatabaseError
from rag.store.guard import StoreError, open_folder
from rag.store.identity import check_identity, write_identity
from rag.store.keyword_index import KeywordIndex
from rag.store.lock import StoreBusyError, WriteLock
from rag.store.sentence_entities import unpack as unpack_entities
from rag.store.sentence_vectors import unpack
from rag.store.server_articles import ServerArticles
from rag.store.server_keywords import ServerKeywords
from rag.store.vector_store import VectorStore

EMBED_MODEL = "all-MiniLM-L6-v2"  # the bundled model (rag.embed.embedder); recorded in every store


class Store:
    def __init__(self, config: RagConfig) -> None:
        self.config = config
        self.folder = Path(config.store)
        self.read_only = open_folder(self.folder)
        self.lock = WriteLock(self.folder / ".write.lock", config.lock_wait_s)
        path = self.folder / "articles.sqlite"
        try:
            if self.read_only:
                self.db = ArticleDB(path, read_only=True)
            elif path.exists():
                try:
                    self.db = ArticleDB(path)
                except ForeignDatabaseError:
                    if not self.lock.path.exists():  # no newsrag process ever wrote here: foreign
                        raise
                    with self.lock.hold():  # or a store another process is creating this instant
                        self.db = ArticleDB(path)
            else:  # two processes making one new store at once: one creates, the other waits
                with self.lock.hold():
                    self.db = ArticleDB(path)
        except ForeignDatabaseError as exc:
            raise StoreError(str(exc)) from None
        check_identity(self.folder, self.db)  # an emptied or swapped articles.sqlite stops here
        self._vectors: VectorStore | None = None
        # The page answers from several threads: one of them opens (or reopens) Chroma, once.
        self._open_lock = threading.Lock()
        self._keywords: KeywordIndex | None = None
        self._keywords_gen = -1  # the generation the cached index shows
        self._keywords_disk = -2  # the stamp of the index on disk when it was cached
        self._seen_gen = self.db.generation()  # the generation this process last wrote or read
        self._snapshot: Path | None = None
        self._server: ServerArticles | None = None
        self._server_keywords: ServerKeywords | None = None
        if config.chroma_url and not self.read_only:
            from rag.store.replica import follow

            # a replica starts from what the server holds (rag.store.server_articles); when a writer
            # in this folder is busy, the copy catches up later
            with contextlib.suppress(StoreBusyError):
                follow(self)

    # --- parts -----------------------------------------------------------------------------
    @property
    def vectors(self) -> VectorStore:
        vectors = self._vectors
        if vectors is None:
            with self._open_lock:
                if self._vectors is None:
                    self._vectors = self._open_vectors()
                vectors = self._vectors
        return vectors

    @property
    def server(self) -> ServerArticles | None:
        """The articles kept in the Chroma server (None without RAG_CHROMA_URL)."""
        if self.config.chroma_url and self._server is None:
            self._server = ServerArticles(self.vectors.client, self.config.collection, self.vectors.batch_size)
        return self._server

    def _open_vectors(self) -> VectorStore:
        cfg = self.config
        folder = self.folder / "chroma"
        if self.read_only and not cfg.chroma_url:
            # Chroma writes to its own database even to read: read a private copy instead.
            if self._snapshot is None:
                self._snapshot = Path(tempfile.mkdtemp(prefix="rag-ro-"))
                atexit.register(shutil.rmtree, self._snapshot, True)
                shutil.copytree(folder, self._snapshot / "chroma")
            folder = self._snapshot / "chroma"
        if not folder.exists() and not cfg.chroma_url and not self.read_only:
            with self.lock.hold():  # two processes creating one Chroma folder at once collide
                return VectorStore(folder, cfg.collection, cfg.chroma_url, cfg.chroma_batch_size, cfg.filter_overfetch)
        return VectorStore(folder, cfg.collection, cfg.chroma_url, cfg.chroma_batch_size, cfg.filter_overfetch)

    @contextmanager
    def writing(self, wait_s: float | None = None) -> Iterator[None]:
        """Hold the store's write lock (re-entrant; waits `wait_s`, default the store's);
        refuses a read-only store."""
        if self.read_only:
            raise StoreError(f"the store {self.folder} is read-only: it can be asked, not changed")
        with self.lock.hold(wait_s):
            if self.lock._depth == 1:  # the outermost writer: see what others wrote before writing
                self._refresh()
            yield

    def sync(self) -> bool:
        """Drop what this process caches when another process changed the store; True if so.
        Skipped while a thread of this process writes: its writes are seen already, and
        reopening Chroma under a writer would give one folder two clients."""
        if self.lock.held_here:
            return False
        return self._refresh()

    def _refresh(self) -> bool:
        gen = self.db.generation()
        if gen == self._seen_gen:
            return False
        with self._open_lock:
            if gen == self._seen_gen:  # another thread just did it
                return False
            if self._vectors is not None and not self.config.chroma_url:
                # A Chroma client keeps its index in memory: reopen it, and load the index, only
                # while no writer is writing those files (loading them mid-write crashed a
                # serving process). Meanwhile the old vectors serve: SQLite decides what is read.
                try:
                    with self.lock.hold(wait_s=0):
                        self._vectors.close()  # threads still asking the old client finish on it
                        self._vectors = self._open_vectors()
                        self._vectors.load()
                except StoreBusyError:
                    return False  # a writer is mid-run: try again at the next question
            self._seen_gen = gen
        return True

    def _published(self) -> None:
        """Tell other replicas (they poll the token); this copy already shows the change."""
        if self.server is not None:
            before = self.server.version()
            token, seq = self.server.bump(self.db.meta("embed_model"))
            if before == self.db.meta("server_version"):  # else another replica wrote too: pull it
                self.db.set_meta("server_version", token)
                if self.db.meta("server_seq") is not None:
                    self.db.set_meta("server_seq", str(seq))  # the change log from here on

    def wrote(self) -> None:
        self._seen_gen = self.db.generation()

    @property
    def keeps_sentence_vectors(self) -> bool:
        """Whether ingest embeds and stores every sentence (RagConfig.sentence_vectors). Not with a
        Chroma server: replicas read the articles the server holds, not this folder's rows, so every
        replica embeds its sentences alike (a replica's answer is the writer's, to the digit)."""
        return self.config.sentence_vectors and not self.config.chroma_url

    def sentence_vectors(self, keys: Collection[SentenceKey]) -> dict[SentenceKey, np.ndarray]:
        """The stored vectors of these sentences, by (article id, start, end); an article stored
        without them (sentence_vectors off, or a store made before) has none."""
        wanted: dict[str, set[tuple[int, int]]] = {}
        for article_id, start, end in keys:
            wanted.setdefault(article_id, set()).add((start, end))
        out: dict[SentenceKey, np.ndarray] = {}
        for row in self.db.sentence_vectors(wanted):
            out.update(unpack(*row, wanted=wanted[row[0]]))
        return out

    @property
    def keeps_sentence_entities(self) -> bool:
        """Whether ingest finds and stores every sentence's entities (RagConfig.sentence_entities);
        not with a Chroma server, for the reason `keeps_sentence_vectors` gives."""
        return self.config.sentence_entities and not self.config.chroma_url

    def sentence_entities(self, keys: Collection[SentenceKey]) -> dict[SentenceKey, Entities]:
        """The stored entities of these sentences, by (article id, start, end); an article stored
        without them (sentence_entities off, or a store made before) has none."""
        wanted: dict[str, set[tuple[int, int]]] = {}
        for article_id, start, end in keys:
            wanted.setdefault(article_id, set()).add((start, end))
        out: dict[SentenceKey, Entities] = {}
        for article_id, data in self.db.sentence_entities(wanted):
            out.update(unpack_entities(article_id, data, wanted=wanted[article_id]))
        return out

    # --- writes (callers hold `writing()`) ---------------------------------------------------
    def put_many(
        self, records: Sequence[ArticleRecord], vectors: np.ndarray, replacing: Collection[str] = frozenset()
    ) -> None:
        """Store several articles (vectors in chunk order, already embedded), in the order the
        module docstring gives: rows marked incomplete, vectors, then complete. `replacing`: the
        ids among them already stored, whose old vectors are cleared first."""
        ids: list[str] = []
        metas: list[dict[str, object]] = []
        for r in records:
            meta = {"article_id": r.article.id, "date": date_int(r.article.date), "source": r.article.source}
            ids.extend(c.id for c in r.chunks)
            metas.extend([meta] * len(r.chunks))
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} chunks but {len(vectors)} vectors")
        with self.writing():
            if self.db.meta("embed_model") is None:
                self.db.set_meta("embed_model", f"{EMBED_MODEL}/{vectors.shape[1]}")
            self.db.put_many(records)
            for r in records:
                if r.article.id in replacing:
                    self.vectors.delete_article(r.article.id)
            self.vectors.upsert(ids, vectors, metas)
            if self.server is not None:  # what other replicas read, once the vectors are in
                self.server.put_many(records)
            self.db.mark_complete(r.article.id for r in records)
            write_identity(self.folder, self.db)
            self._published()
            self.wrote()

    def delete(self, article_id: str) -> None:
        with self.writing():
            if self.db.get(article_id) is None:
                raise KeyError(f"no article with id {article_id!r} in {self.folder}")
            if self.server is not None:
                self.server.delete([article_id])
            self.vectors.delete_article(article_id)
            self.db.delete(article_id)
            write_identity(self.folder, self.db)
            self._published()
            self.wrote()
            self.rebuild_keywords()

    # --- keyword index: rebuilt after changes (bm25s has no in-place add) ---------------------
    def rebuild_keywords(self, wait_s: float | None = None, *, build: bool = True) -> bool:
        """Bring the index to the current generation and swap its folder in whole (writers only).
        A replica whose copy of the articles is the server's loads the index published there
        (rag.store.server_keywords); otherwise it is built from the complete articles and, with a
        server, published. With `build` False only a published one is taken. True when the index
        is now current."""
        with self.writing(wait_s):
            gen = self.db.generation()
            tmp = self.folder / f"bm25.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            index = self._published_keywords(tmp)
            if index is None:
                shutil.rmtree(tmp, ignore_errors=True)
                if not build:
                    return False
                index = KeywordIndex.build(self.db.chunk_texts())
                index.save(tmp)
                self._publish_keywords(tmp)
            (tmp / "generation").write_text(str(gen))
            live, old = self.folder / "bm25", self.folder / f"bm25.old-{os.getpid()}"
            if live.exists():
                live.rename(old)  # a kill between the renames leaves no index: it is rebuilt
            tmp.rename(live)
            for stale in self.folder.glob("bm25.*"):
                shutil.rmtree(stale, ignore_errors=True)
            self._keywords, self._keywords_gen, self._keywords_disk = index, gen, gen
            return True

    @property
    def server_keywords(self) -> ServerKeywords | None:
        """The keyword index published in the Chroma server (None without RAG_CHROMA_URL)."""
        if self.config.chroma_url and self._server_keywords is None:
            self._server_keywords = ServerKeywords(self.vectors.client, self.config.collection)
        return self._server_keywords

    def _published_keywords(self, folder: Path) -> KeywordIndex | None:
        """The index published for the articles this copy holds, fetched into `folder`."""
        token = self.db.meta("server_version")
        if self.server_keywords is None or token is None or not self.server_keywords.fetch(token, folder):
            return None
        return KeywordIndex.load(folder)  # None if another analyzer version built it

    def _publish_keywords(self, folder: Path) -> None:
        """Publish the index just built, when this copy is exactly what the server holds."""
        token = self.db.meta("server_version")
        keywords = self.server_keywords
        if token is not None and keywords is not None and self.server is not None and token == self.server.version():
            keywords.publish(folder, token)

    def _disk_generation(self) -> int:
        try:
            return int((self.folder / "bm25" / "generation").read_text())
        except (OSError, ValueError):
            return -1

    def load_keywords(self) -> tuple[KeywordIndex | None, int]:
        """The index on disk and the generation it was built from (-1: unknown)."""
        folder = self.folder / "bm25"
        try:
            index = KeywordIndex.load(folder)
            gen = int((folder / "generation").read_text()) if index is not None else -1
        except (OSError, ValueError):
            return None, -1
        return index, gen

    def keywords_stale(self) -> bool:
        return self.load_keywords()[1] != self.db.generation()

    @property
    def keywords(self) -> KeywordIndex:
        """The keyword index of the current generation. While another writer is mid-run the
        last saved index serves (its rebuild comes at the end of the run, and building one per
        question would stall every reader); when a writer died, the index is rebuilt from the
        articles, and saved unless the store is read-only or a writer has just begun."""
        gen = self.db.generation()
        if self._keywords is not None and (self._keywords_gen == gen or self.config.chroma_url):
            # (a replica's index is brought up to date by its follower thread: a question never
            # waits for a rebuild, which takes seconds on a large store)
            return self._keywords
        disk = self._disk_generation()
        if self._keywords is not None and disk == self._keywords_disk and self.lock.busy():
            return self._keywords
        index, built = self.load_keywords()
        if index is None or (built != gen and not self.lock.busy()):
            if not self.read_only and not self.lock.held_here:
                try:  # nobody is writing: save it, so the next start needn't build it again
                    with self.lock.hold(wait_s=0):
                        self.rebuild_keywords()
                    assert self._keywords is not None
                    return self._keywords
                except StoreBusyError:  # a writer came first: its own rebuild will follow
                    pass
            index, built = KeywordIndex.build(self.db.chunk_texts()), gen
        self._keywords, self._keywords_gen, self._keywords_disk = index, built, disk
        return self._keywords

    def stats(self) -> Stats:
        return self.db.stats()

    def close(self) -> None:
        if self._vectors is not None:
            self._vectors.close()
            self._vectors = None
        self.db.close()
        if self._snapshot is not None:
            shutil.rmtree(self._snapshot, ignore_errors=True)
            self._snapshot = None
