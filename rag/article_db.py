"""The article texts and chunk offsets, in SQLite: the source of truth for quotes."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from .models import Article, Chunk, Stats, date_int

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
  id TEXT PRIMARY KEY, title TEXT, date TEXT, source TEXT, url TEXT, path TEXT,
  text TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  start INTEGER NOT NULL, "end" INTEGER NOT NULL, date INTEGER NOT NULL, source TEXT
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
"""


class ArticleDB:
    """One SQLite connection per thread: the chat page answers from a thread pool, and a
    connection shared across threads is not safe; WAL lets the readers run side by side."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.conn.executescript(_SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
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

    def hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, hash FROM articles"))

    def put_many(self, items: Iterable[tuple[Article, str, list[Chunk]]]) -> None:
        """Replace several articles and their chunks in one transaction (one commit)."""
        with self.conn:
            for article, digest, chunks in items:
                self.conn.execute("DELETE FROM articles WHERE id = ?", (article.id,))
                self.conn.execute(
                    "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?)",
                    (
                        article.id,
                        article.title,
                        article.date.isoformat() if article.date else None,
                        article.source,
                        article.url,
                        article.path,
                        article.text,
                        digest,
                    ),
                )
                d = date_int(article.date)
                self.conn.executemany(
                    'INSERT INTO chunks (id, article_id, start, "end", date, source) VALUES (?,?,?,?,?,?)',
                    [(c.id, c.article_id, c.start, c.end, d, article.source) for c in chunks],
                )

    def delete(self, article_id: str) -> bool:
        with self.conn:
            cur = self.conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return cur.rowcount > 0

    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute(
            "SELECT id, title, date, source, url, path, text FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return _article(row) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self.conn.execute(
                "SELECT id, title, date, source, url, path, text FROM articles "
                f"WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
            out.update((r[0], _article(r)) for r in rows)
        return out

    def chunk_spans(self, ids: list[str]) -> dict[str, tuple[str, int, int]]:
        """chunk id -> (article id, start, end)."""
        rows = self.conn.execute(
            f'SELECT id, article_id, start, "end" FROM chunks WHERE id IN ({",".join("?" * len(ids))})',
            ids,
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def chunk_texts(self) -> Iterator[tuple[str, str, int, str, str]]:
        """(chunk id, text, date, source, article id) for building the keyword index."""
        cur = self.conn.execute(
            'SELECT c.id, substr(a.text, c.start + 1, c."end" - c.start), c.date, c.source, '
            "c.article_id FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.rowid"
        )
        yield from cur

    def stats(self) -> Stats:
        n_art, first, last = self.conn.execute("SELECT count(*), min(date), max(date) FROM articles").fetchone()
        n_chunks = self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
        sources = dict(
            self.conn.execute("SELECT source, count(*) FROM articles GROUP BY source ORDER BY count(*) DESC")
        )
        return Stats(
            articles=n_art,
            chunks=n_chunks,
            first_date=dt.date.fromisoformat(first) if first else None,
            last_date=dt.date.fromisoformat(last) if last else None,
            sources=sources,
        )


def _article(row: tuple[str, str, str | None, str, str, str, str]) -> Article:
    return Article(
        id=row[0],
        title=row[1] or "",
        date=dt.date.fromisoformat(row[2]) if row[2] else None,
        source=row[3] or "",
        url=row[4] or "",
        path=row[5] or "",
        text=row[6],
    )
