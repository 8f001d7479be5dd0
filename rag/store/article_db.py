"""The article texts and chunk offsets, in SQLite: the source of truth for quotes.

Besides the texts it keeps the store's bookkeeping: each article's `complete` flag (0 while its
vectors are being written, see rag.store.store for the write order) and `store_meta`, which holds the
generation counter (bumped by every committed change, so readers in other processes notice
writes) and the name of the embedding model the vectors were made with."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.models import Article, ArticleRecord, Chunk, Stats, date_int
from rag.text.stories import StoryRow
from rag.text.web import Validator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
  id TEXT PRIMARY KEY, title TEXT, date TEXT, source TEXT, url TEXT, path TEXT,
  text TEXT NOT NULL, hash TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 1,
  dated_by TEXT NOT NULL DEFAULT '', story TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  start INTEGER NOT NULL, "end" INTEGER NOT NULL, date INTEGER NOT NULL, source TEXT
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signatures (
  article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE, sig BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sentence_vectors (
  article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
  spans BLOB NOT NULL, vectors BLOB NOT NULL, scales BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sentence_entities (
  article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE, entities TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fetched (
  url TEXT PRIMARY KEY, article_id TEXT NOT NULL, etag TEXT NOT NULL, last_modified TEXT NOT NULL
);
"""
_OURS = {
    "articles": {"id", "title", "date", "source", "url", "path", "text", "hash"},
    "chunks": {"id", "article_id", "start", "end", "date", "source"},
}


# The store's format, in SQLite's `user_version`. 0: a store made before formats were numbered
# (newsrag 0.1), which may lack the `complete` column; 1: with it; 2: today's tables, with where
# each date came from (`dated_by`), stories (`story`, `signatures`) and what servers said of
# fetched URLs (`fetched`). Opening an
# older store for writing migrates it in place, step by step; a newer one is refused, untouched.
FORMAT = 2


class ForeignDatabaseError(ValueError):
    """An `articles.sqlite` that this program did not make: it is left untouched."""


class StoreFormatError(ForeignDatabaseError):
    """A store written by a newer newsrag, in a format this one can't read: left untouched."""


def _check_ours(path: Path) -> bool:
    """True when `path` holds our tables (an existing store), False when it is new or empty.
    Read-only, so a file that belongs to someone else is never altered (no table, no WAL)."""
    if not path.exists() or path.stat().st_size == 0:
        return False

    def read(flags: str) -> tuple[set[str], dict[str, set[str]]]:
        ro = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)
        try:
            tables = {r[0] for r in ro.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            return tables, {t: {r[1] for r in ro.execute(f'PRAGMA table_info("{t}")')} for t in _OURS if t in tables}
        finally:
            ro.close()

    try:
        try:
            tables, cols = read("mode=ro")
        except sqlite3.OperationalError:  # WAL in a read-only folder: no shared-memory file
            tables, cols = read("mode=ro&immutable=1")
    except sqlite3.DatabaseError as exc:
        raise ForeignDatabaseError(f"{path} is not a newsrag article database ({exc}); it was left untouched") from None
    if any(not need <= cols.get(t, set()) for t, need in _OURS.items()):
        raise ForeignDatabaseError(
            f"{path} is an SQLite file of another program (tables: "
            f"{', '.join(sorted(tables)) or 'none'}); it was left untouched"
        )
    return True


def _use_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """WAL is a property of the file, set once per process. Switching a new file to WAL takes an
    exclusive lock that SQLite's busy timeout does not wait for: two processes making one store
    at once (rag.store.store creates it under the write lock, but a second process can open the file
    the first has just made) retry here instead of failing."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class ArticleDB:
    """One SQLite connection per thread: the chat page answers from a thread pool, and a
    connection shared across threads is not safe; WAL lets the readers run side by side."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        existed = _check_ours(path)
        self.path = path
        self.read_only = read_only
        if read_only and not existed:
            raise ForeignDatabaseError(f"{path} does not exist and the folder is read-only")
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
            _use_wal(self.conn)
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if version > FORMAT:
            self.close()
            raise StoreFormatError(
                f"{path} is a store of format {version}, made by a newer newsrag (this one reads formats up "
                f"to {FORMAT}): upgrade newsrag to use it"
            )
        if not read_only:
            self.conn.executescript(_SCHEMA)
            self._migrate()  # column by column: cheap, and mends a store of an unreleased format 2
        # A read-only store of format 1 is read as it is, its dates "given" (as _migrate would).
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(articles)")}
        dated_by = "dated_by" if "dated_by" in cols else "CASE WHEN date IS NULL THEN '' ELSE 'given' END"
        story = "story" if "story" in cols else "''"
        self._story_of = "CASE WHEN story = '' THEN id ELSE story END" if "story" in cols else "id"
        self._article_cols = f"id, title, date, source, url, path, text, {dated_by}, {story}"

    def _migrate(self) -> None:
        """Bring an older store to today's format, column by column, then stamp it."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(articles)")}
        steps = [
            # format 0 -> 1: a store made before the flag: all its articles are whole
            ("complete", "ALTER TABLE articles ADD COLUMN complete INTEGER NOT NULL DEFAULT 1"),
            # 1 -> 2: dates stored before were given by the record or the file's metadata
            ("dated_by", "ALTER TABLE articles ADD COLUMN dated_by TEXT NOT NULL DEFAULT ''"),
            # and stories: found for the stored articles by the next ingest (rag.store.ingest)
            ("story", "ALTER TABLE articles ADD COLUMN story TEXT NOT NULL DEFAULT ''"),
        ]
        for column, sql in steps:
            if column not in cols:
                try:
                    with self.conn:
                        self.conn.execute(sql)
                        if column == "dated_by":
                            self.conn.execute("UPDATE articles SET dated_by = 'given' WHERE date IS NOT NULL")
                except sqlite3.OperationalError:  # another process added it a moment ago
                    pass
        # after the columns: a store older than the story column gets its index here
        self.conn.execute("CREATE INDEX IF NOT EXISTS articles_story ON articles(story)")
        if int(self.conn.execute("PRAGMA user_version").fetchone()[0]) < FORMAT:
            with self.conn:
                self.conn.execute(f"PRAGMA user_version = {FORMAT}")

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.read_only:
                # A read-only folder can't hold WAL's shared-memory file: read it as immutable.
                conn = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
                )
            else:
                conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
                conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # --- bookkeeping -------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", (key, value))

    # --- stories (rag.text.stories) -------------------------------------------------------
    def signatures(self) -> Iterator[StoryRow]:
        """The story of every complete article that has a signature."""
        rows = self.conn.execute(
            "SELECT a.id, a.story, s.sig FROM articles a JOIN signatures s ON s.article_id = a.id WHERE a.complete"
        )
        for aid, story, sig in rows:
            yield StoryRow(aid, story, np.frombuffer(sig, dtype=np.uint64))

    def unsigned(self) -> list[str]:
        """Complete articles without a signature: stored before stories, or cut short."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM articles WHERE complete AND id NOT IN (SELECT article_id FROM signatures)"
            )
        ]

    def put_stories(self, rows: Iterable[StoryRow]) -> None:
        """Keep the stories of stored articles."""
        rows = list(rows)
        with self.conn:
            self.conn.executemany("UPDATE articles SET story = ? WHERE id = ?", [(r.story, r.article_id) for r in rows])
            self.conn.executemany(
                "INSERT OR REPLACE INTO signatures VALUES (?, ?)", [(r.article_id, r.signature.tobytes()) for r in rows]
            )

    def story_sizes(self, stories: Iterable[str]) -> dict[str, int]:
        """How many complete articles each story has (a story's id is its first article's)."""
        ids = [s for s in dict.fromkeys(stories) if s]
        out: dict[str, int] = {}
        if self._story_of == "id":  # a read-only store of format 1: every article its own story
            return dict.fromkeys(ids, 1)
        # Two lookups, by the story index and by id (`+story`: not by the story index, where most
        # articles are ''): the one query with an OR between them read every article, text and
        # all, on each answer (9 ms a question over 2024's 8,801 articles; now 0.03 ms).
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                f"SELECT story, count(*) FROM articles WHERE complete AND story IN ({marks}) GROUP BY story "
                f"UNION ALL SELECT id, 1 FROM articles WHERE complete AND +story = '' AND id IN ({marks})",
                [*part, *part],
            )
            for s, n in rows:
                out[s] = out.get(s, 0) + int(n)
        return out

    def validator(self, url: str) -> Validator | None:
        """What the server said of `url` when its article (or feed) was last stored."""
        try:
            row = self.conn.execute(
                "SELECT article_id, etag, last_modified FROM fetched WHERE url = ?", (url,)
            ).fetchone()
        except sqlite3.OperationalError:  # a read-only store of format 1: nothing fetched yet
            return None
        return Validator(url, *row) if row else None

    def keep_validators(self, validators: Iterable[Validator]) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO fetched VALUES (?, ?, ?, ?)",
                [(v.url, v.article_id, v.etag, v.last_modified) for v in validators],
            )

    def generation(self) -> int:
        """Bumped by every committed change: a cheap way for readers to notice other writers."""
        return int(self.meta("generation") or 0)

    def _bump(self) -> None:  # inside the caller's transaction
        self.conn.execute(
            "INSERT INTO store_meta VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def hashes(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """id -> digest of every article (or of those of `ids` stored); a half-written one gets ""
        so that the next ingest redoes it (as an update: its old vectors are cleared first)."""
        query = "SELECT id, CASE WHEN complete THEN hash ELSE '' END FROM articles"
        if ids is None:
            return dict(self.conn.execute(query))
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            out.update(self.conn.execute(f"{query} WHERE id IN ({','.join('?' * len(part))})", part))
        return out

    def incomplete(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM articles WHERE complete = 0")]

    def mark_complete(self, ids: Iterable[str]) -> None:
        """The last step of writing an article: its vectors are all stored."""
        with self.conn:
            self.conn.executemany("UPDATE articles SET complete = 1 WHERE id = ?", [(i,) for i in ids])
            self._bump()

    def put_many(self, records: Iterable[ArticleRecord]) -> None:
        """Replace several articles and their chunks in one transaction (one commit), marked
        incomplete until `mark_complete`: a crash before that leaves them to be redone."""
        with self.conn:
            for article, digest, chunks in ((r.article, r.digest, r.chunks) for r in records):
                self.conn.execute("DELETE FROM articles WHERE id = ?", (article.id,))
                self.conn.execute(
                    "INSERT INTO articles (id, title, date, source, url, path, text, hash, complete, dated_by, story) "
                    "VALUES (?,?,?,?,?,?,?,?,0,?,?)",
                    (
                        article.id,
                        article.title,
                        article.date.isoformat() if article.date else None,
                        article.source,
                        article.url,
                        article.path,
                        article.text,
                        digest,
                        article.dated_by,
                        article.story,
                    ),
                )
                d = date_int(article.date)
                self.conn.executemany(
                    'INSERT INTO chunks (id, article_id, start, "end", date, source) VALUES (?,?,?,?,?,?)',
                    [(c.id, c.article_id, c.start, c.end, d, article.source) for c in chunks],
                )
            self._bump()

    # --- per-sentence rows: vectors (rag.store.sentence_vectors), entities (rag.store.sentence_entities)
    def put_sentence_vectors(self, rows: Iterable[tuple[str, bytes, bytes, bytes]]) -> None:
        """(article id, spans, vectors, scales) rows; an article's row goes with the article."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?,?,?,?)", list(rows))

    def sentence_vectors(self, article_ids: Iterable[str]) -> list[tuple[str, bytes, bytes, bytes]]:
        return self._article_rows("sentence_vectors", article_ids)

    def without_sentence_vectors(self) -> list[str]:
        """The complete articles whose sentence vectors are not stored (made before them, or cut short)."""
        return self._articles_without("sentence_vectors")

    def put_sentence_entities(self, rows: Iterable[tuple[str, str]]) -> None:
        """(article id, packed entities) rows; an article's row goes with the article."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO sentence_entities VALUES (?,?)", list(rows))

    def sentence_entities(self, article_ids: Iterable[str]) -> list[tuple[str, str]]:
        return self._article_rows("sentence_entities", article_ids)

    def without_sentence_entities(self) -> list[str]:
        """The complete articles whose sentence entities are not stored (made before them, or cut short)."""
        return self._articles_without("sentence_entities")

    def _article_rows(self, table: str, article_ids: Iterable[str]) -> list[Any]:
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return []
        try:
            return self.conn.execute(
                f"SELECT * FROM {table} WHERE article_id IN ({','.join('?' * len(ids))})", ids
            ).fetchall()
        except sqlite3.OperationalError:  # a read-only store made before the table: none stored
            return []

    def _articles_without(self, table: str) -> list[str]:
        query = f"SELECT id FROM articles WHERE complete = 1 AND id NOT IN (SELECT article_id FROM {table})"
        return [r[0] for r in self.conn.execute(query)]

    def delete(self, article_id: str) -> bool:
        with self.conn:
            cur = self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
            self._bump()
        return cur.rowcount > 0

    def all_spans(self) -> Iterator[tuple[str, str, int, int, int]]:
        """(chunk id, article id, start, end, len(article text)) of every chunk, for `check`."""
        yield from self.conn.execute(
            'SELECT c.id, c.article_id, c.start, c."end", length(a.text) FROM chunks c '
            "JOIN articles a ON a.id = c.article_id ORDER BY c.rowid"
        )

    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute(
            f"SELECT {self._article_cols} FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return _article(row) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self.conn.execute(
                f"SELECT {self._article_cols} FROM articles WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
            out.update((r[0], _article(r)) for r in rows)
        return out

    def chunks_of(self, article: Article) -> list[Chunk]:
        """The stored chunks of an article, in order."""
        rows = self.conn.execute(
            'SELECT id, start, "end" FROM chunks WHERE article_id = ? ORDER BY rowid', (article.id,)
        ).fetchall()
        return [Chunk(id=cid, article_id=article.id, start=s, end=e, text=article.text[s:e]) for cid, s, e in rows]

    def chunk_spans(self, ids: list[str]) -> dict[str, tuple[str, int, int]]:
        """chunk id -> (article id, start, end)."""
        rows = self.conn.execute(
            'SELECT c.id, c.article_id, c.start, c."end" FROM chunks c JOIN articles a ON a.id = c.article_id '
            f"WHERE a.complete AND c.id IN ({','.join('?' * len(ids))})",
            ids,
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def chunk_texts(self) -> Iterator[tuple[str, str, int, str, str]]:
        """(chunk id, text, date, source, article id) for building the keyword index."""
        cur = self.conn.execute(
            'SELECT c.id, substr(a.text, c.start + 1, c."end" - c.start), c.date, c.source, '
            "c.article_id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.complete "
            "ORDER BY c.rowid"
        )
        yield from cur

    def count(self) -> int:
        """Complete articles (what `stats().articles` says, without its chunk and source counts)."""
        return int(self.conn.execute("SELECT count(*) FROM articles WHERE complete").fetchone()[0])

    def stats(self) -> Stats:
        n_art, first, last, n_stories = self.conn.execute(
            f"SELECT count(*), min(date), max(date), count(DISTINCT {self._story_of}) FROM articles WHERE complete"
        ).fetchone()
        n_chunks = self.conn.execute(
            "SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.complete"
        ).fetchone()[0]
        sources = dict(
            self.conn.execute(
                "SELECT source, count(*) FROM articles WHERE complete GROUP BY source ORDER BY count(*) DESC"
            )
        )
        return Stats(
            articles=n_art,
            chunks=n_chunks,
            first_date=dt.date.fromisoformat(first) if first else None,
            last_date=dt.date.fromisoformat(last) if last else None,
            sources=sources,
            stories=n_stories,
        )


def _article(row: tuple[str, str, str | None, str, str, str, str, str, str]) -> Article:
    return Article(
        id=row[0],
        title=row[1] or "",
        date=dt.date.fromisoformat(row[2]) if row[2] else None,
        source=row[3] or "",
        url=row[4] or "",
        path=row[5] or "",
        text=row[6],
        dated_by=row[7] or "",  # type: ignore[arg-type]  # written from a DatedBy
        story=row[8] or "",
    )
