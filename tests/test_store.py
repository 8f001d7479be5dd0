from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SEED_ANSWER, SEED_QUESTION
from hash_embedder import HashEmbedder
from rag import Article, Engine


def test_delete_removes_everywhere(engine: Engine) -> None:
    engine.ingest_articles(
        [Article(id="x", text="Alpha beta gamma. Delta epsilon."), Article(id="y", text="Other words entirely here.")],
        progress=False,
    )
    engine.delete("x")
    assert engine.article("x") is None
    got = engine.store.vectors.collection.get(where={"article_id": "x"}, include=[])
    assert got["ids"] == []
    assert "x" not in engine.store.keywords.article_ids
    assert engine.stats().articles == 1
    with pytest.raises(KeyError, match="no article with id 'x'"):
        engine.delete("x")


def test_store_persists_across_engines(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as e1:
        e1.ingest_articles([Article(id="p", text="Persistent storage works fine.")], progress=False)
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as e2:
        assert e2.stats().articles == 1
        assert e2.store.vectors.count() == e2.stats().chunks
        assert e2.store.keywords.n_docs == e2.stats().chunks


def test_keyword_index_rebuilt_when_missing(engine: Engine) -> None:
    engine.ingest_articles([Article(id="k", text="Keyword index rebuild check.")], progress=False)
    import shutil

    engine.close()
    shutil.rmtree(engine.config.store / "bm25")
    with Engine(store=engine.config.store, embedder=engine.embedder) as reopened:
        assert reopened.store.keywords.n_docs == 1
        assert (engine.config.store / "bm25" / "meta.json").exists()


def test_concurrent_readers(seed_engine: Engine) -> None:
    # The chat page answers from a thread pool over one Engine.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: seed_engine.ask(SEED_QUESTION), range(8)))
    assert all(SEED_ANSWER in a.answer for a in answers)


def _open_new_store_at(folder: str, start: float) -> None:
    import time

    from rag.config import RagConfig
    from rag.store.store import Store

    while time.time() < start:  # both processes open the new store in the same instant
        pass
    Store(RagConfig(store=Path(folder), lock_wait_s=5)).db.conn.execute("SELECT count(*) FROM articles").fetchone()


def test_two_processes_making_one_new_store_at_once_both_open_it(tmp_path: Path) -> None:
    """Before the fix 24 of 30 such pairs failed with 'database is locked' (the switch to WAL)."""
    import multiprocessing
    import time

    ctx = multiprocessing.get_context("spawn")
    for i in range(3):  # each pair failed 4 times in 5 before the fix
        start = time.time() + 2.0  # past the spawn start-up of both
        procs = [ctx.Process(target=_open_new_store_at, args=(str(tmp_path / str(i)), start)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0]
