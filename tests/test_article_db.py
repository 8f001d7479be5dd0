"""The store's format version (rag.store.article_db.FORMAT): new stores are stamped, a store of
format 0 (no `complete` column) or 1 (no `dated_by`) is migrated in place and keeps its
articles, and a store from a newer newsrag is refused with a clear message and left byte for byte as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hash_embedder import HashEmbedder
from rag import Article, Engine, StoreError
from rag.store.article_db import FORMAT

ART = Article(id="a1", title="T", text="The mayor opened the Zorblat bridge on Monday. It cost 12 million euros.")


def version(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def test_a_new_store_is_stamped_with_the_format(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        eng.ingest_articles([ART], progress=False)
    assert version(tmp_path / "s" / "articles.sqlite") == FORMAT >= 1


def test_a_format_0_store_is_migrated_and_keeps_its_articles(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        eng.ingest_articles([ART], progress=False)
    db = tmp_path / "s" / "articles.sqlite"
    with sqlite3.connect(db) as conn:  # what newsrag 0.1 wrote: no `complete` flag, no version
        conn.execute("ALTER TABLE articles DROP COLUMN complete")
        conn.execute("ALTER TABLE articles DROP COLUMN dated_by")
        conn.execute("DROP INDEX IF EXISTS articles_story")  # an old store had no story index
        conn.execute("ALTER TABLE articles DROP COLUMN story")
        conn.execute("PRAGMA user_version = 0")
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        assert eng.stats().articles == 1 and not eng.ask("Who opened the Zorblat bridge?").refused
    assert version(db) == FORMAT


def test_a_store_from_a_newer_newsrag_is_refused_untouched(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        eng.ingest_articles([ART], progress=False)
    db = tmp_path / "s" / "articles.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {FORMAT + 1}")
    before = db.read_bytes()
    with pytest.raises(StoreError, match=f"format {FORMAT + 1}, made by a newer newsrag.*upgrade newsrag"):
        Engine(store=tmp_path / "s", embedder=fake_embedder)
    assert db.read_bytes() == before


def test_a_format_1_store_is_migrated_its_dates_given(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    import datetime as dt

    dated = ART.model_copy(update={"id": "a2", "date": dt.date(2022, 9, 1)})
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        eng.ingest_articles([ART, dated], progress=False)
    db = tmp_path / "s" / "articles.sqlite"
    with sqlite3.connect(db) as conn:  # what format 1 wrote: no `dated_by`, no stories
        conn.execute("ALTER TABLE articles DROP COLUMN dated_by")
        conn.execute("DROP INDEX IF EXISTS articles_story")  # an old store had no story index
        conn.execute("ALTER TABLE articles DROP COLUMN story")
        conn.execute("DROP TABLE signatures")
        conn.execute("PRAGMA user_version = 1")
    with sqlite3.connect(db) as conn:  # a read-only store is read as immutable: no WAL left over
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    from rag.store.article_db import ArticleDB

    ro = ArticleDB(db, read_only=True)  # read as it is, untouched
    assert ro.get("a2").dated_by == "given" and ro.get("a1").dated_by == ""  # type: ignore[union-attr]
    assert ro.stats().stories == 2 and ro.story_sizes(["a1"]) == {"a1": 1}
    ro.close()
    assert version(db) == 1
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        got = eng.store.db.get_many(["a1", "a2"])
        assert (got["a1"].dated_by, got["a2"].dated_by) == ("", "given")
        eng.ingest_articles([ART], progress=False)  # the next ingest finds their stories: one text
        assert eng.stats().stories == 1 and eng.store.db.get("a2").story == "a1"  # type: ignore[union-attr]
    assert version(db) == FORMAT == 2


def test_story_sizes_count_each_story_by_index_not_by_reading_every_article(
    tmp_path: Path, fake_embedder: HashEmbedder
) -> None:
    import numpy as np

    from rag.text.stories import StoryRow

    arts = [ART.model_copy(update={"id": i, "text": f"{ART.text} Part {i}."}) for i in ("a1", "a2", "a3", "b1")]
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        eng.ingest_articles(arts, progress=False)
        db = eng.store.db
        sig = np.zeros(4, dtype=np.uint64)
        # a1 opens a story that a2 and a3 follow; b1 is a story of its own ("" in the store)
        db.put_stories(
            [StoryRow("a1", "", sig), StoryRow("a2", "a1", sig), StoryRow("a3", "a1", sig), StoryRow("b1", "", sig)]
        )
        statements: list[str] = []
        db.conn.set_trace_callback(statements.append)
        assert db.story_sizes(["a1", "b1", "a1", "", "missing"]) == {"a1": 3, "b1": 1}
        db.conn.set_trace_callback(None)
        (sql,) = statements
        plan = [row[-1] for row in db.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        # each answer asks this: reading every article (or every one of story "") to find a few
        # took 9 ms a question over 2024's 8,801 articles
        assert not any(p.startswith("SCAN") for p in plan) and any("(story=?)" in p for p in plan), plan
        assert any("(id=?)" in p for p in plan), plan
