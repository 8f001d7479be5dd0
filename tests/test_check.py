"""`rag check [--repair]` and `Engine.check()`: the store's three parts agree, or are mended."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from hash_embedder import HashEmbedder
from rag import Article, Engine, RagConfig
from rag.store.check import check_store
from test_cli import rag


def arts(n: int) -> list[Article]:
    return [
        Article(
            id=f"c{i}",
            title=f"Story {i}",
            text=f"Story {i} begins. The village of Place{i} held a fair on Sunday. It rained.",
        )
        for i in range(n)
    ]


def test_a_fresh_store_passes(engine: Engine) -> None:
    assert engine.check().ok  # empty
    engine.ingest_articles(arts(3), progress=False)
    rep = engine.check()
    assert rep.ok, rep.summary()
    assert rep.counts == {"articles": 3, "chunks": 3, "vectors": 3, "keywords": 3}


def test_orphans_missing_vectors_and_a_stale_keyword_index_are_found_and_mended(engine: Engine) -> None:
    engine.ingest_articles(arts(3), progress=False)
    vs = engine.store.vectors
    vs.upsert(["ghost"], np.ones((1, engine.embedder.dim), dtype=np.float32), [{"article_id": "nobody"}])
    vs.delete_ids([next(iter(vs.all_ids().keys() - {"ghost"}))])
    shutil.rmtree(engine.store.folder / "bm25")
    rep = engine.check()
    text = rep.summary()
    assert not rep.ok
    assert "1 vector(s) belong to no stored chunk: ghost" in text
    assert "1 chunk(s) have no vector" in text and "keyword index is missing" in text
    fixed = engine.check(repair=True)
    assert fixed.ok, fixed.summary()
    assert any("orphan" in r for r in fixed.repaired) and any("re-embedded 1" in r for r in fixed.repaired)
    assert engine.check().ok


def test_a_half_written_article_is_redone_by_repair(engine: Engine) -> None:
    engine.ingest_articles(arts(2), progress=False)
    db = engine.store.db
    with db.conn:
        db.conn.execute("UPDATE articles SET complete = 0 WHERE id = 'c1'")
    engine.store.vectors.delete_article("c1")
    rep = engine.check()
    assert not rep.ok and "1 half-written article(s) (interrupted ingest): c1" in rep.summary()
    assert engine.stats().articles == 1  # readers don't see it meanwhile
    assert engine.check(repair=True).ok
    assert engine.stats().articles == 2 and engine.check().ok


def test_a_span_outside_its_article_is_found(engine: Engine) -> None:
    engine.ingest_articles(arts(1), progress=False)
    with engine.store.db.conn as c:
        c.execute('UPDATE chunks SET "end" = 99999')
    rep = check_store(engine.store, deep=False)
    assert "chunk spans outside their text" in rep.summary()
    assert engine.check(repair=True).ok


def test_another_embedding_model_is_a_problem(engine: Engine) -> None:
    engine.ingest_articles(arts(1), progress=False)
    engine.store.db.set_meta("embed_model", "bge-small/384")
    assert "made with the embedding model bge-small" in engine.check().summary()


def test_cli_check_exit_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    from conftest import SEEDS

    rag("ingest", str(SEEDS), "--quiet", store=store)
    ok = rag("check", store=store)
    assert ok.stdout.strip().endswith("ok")
    shutil.rmtree(store / "bm25")
    bad = rag("check", store=store, check=False)
    assert bad.returncode == 1 and "keyword index is missing" in bad.stdout
    fixed = rag("check", "--repair", store=store)
    assert "repaired: rebuilt the keyword index" in fixed.stdout and fixed.stdout.strip().endswith("ok")


def test_the_page_header_warns_about_a_store_that_fails_its_check(seed_engine: Engine) -> None:
    from rag.ui.app import build

    def warning(eng: Engine) -> str | None:
        demo = build(eng)
        found = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "rag-check-warning"]
        return str(getattr(found[0], "value", "")) if found else None

    assert warning(seed_engine) is None
    shutil.rmtree(seed_engine.store.folder / "bm25")
    text = warning(seed_engine)
    assert text and "This store failed its check" in text and "rag check --repair" in text
    assert "keyword index is missing" in text


def test_check_beside_a_writer_waits_then_says_so(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    """A check while another process writes would compare half a write: it waits for the writer's
    lock and, when the writer is still busy, says so instead of reporting false orphans."""
    import subprocess
    import sys
    import time

    from rag import StoreBusyError

    store = tmp_path / "store"
    with Engine(store=store, embedder=fake_embedder) as eng:
        eng.ingest_articles([Article(id="a", title="T", text="One story. It is short.")], progress=False)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from rag.store.lock import WriteLock\n"
            f"with WriteLock({str(store / '.write.lock')!r}, 1).hold():\n"
            "    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with Engine(store=store, embedder=fake_embedder, config=RagConfig(lock_wait_s=0.5)) as eng:
            t0 = time.perf_counter()
            with pytest.raises(StoreBusyError, match="being changed by another process"):
                eng.check()
            assert time.perf_counter() - t0 >= 0.5
    finally:
        holder.kill()
        holder.wait()
    with Engine(store=store, embedder=fake_embedder) as eng:
        assert eng.check().ok  # the writer gone, the check runs
