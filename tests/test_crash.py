"""Crash safety and two writers, with real `rag ingest` processes on a slice of the news data.

A writer is SIGKILLed at several points (while the model loads, mid-batch with articles
half-written, during the keyword-index rebuild); `rag check` then says what is wrong (or that
nothing is), the next ingest completes the interrupted articles, and the store equals one built
without interruption: same articles, same chunk ids everywhere, same answers."""

from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import need_news
from rag import Engine
from rag.embed.embedder import Embedder

N_ARTICLES = 80  # ~45 s of ingest each (sentence vectors included); the kill points all fall inside it


@pytest.fixture(scope="module")
def news_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    news = need_news()
    out = tmp_path_factory.mktemp("slice") / "slice.jsonl"
    with gzip.open(news, "rt", encoding="utf-8") as fh:
        out.write_text("".join(next(fh) for _ in range(N_ARTICLES)), encoding="utf-8")
    return out


def env(store: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_STORE": str(store), **extra}


def start_ingest(path: Path, store: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "ingest", str(path), "--quiet"],
        env=env(store, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env(store),
        timeout=300,
    )


def incomplete_rows(store: Path) -> int:
    db = store / "articles.sqlite"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=0.05)
        try:
            return int(con.execute("SELECT count(*) FROM articles WHERE complete = 0").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def keyword_write(store: Path) -> bool:
    return any(store.glob("bm25.tmp-*"))


def kill_when(proc: subprocess.Popen[str], condition: Callable[[], bool], timeout: float = 120) -> bool:
    """SIGKILL the process as soon as `condition` holds; False if it finished first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if condition():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    return False


def snapshot(store: Path, embedder: Embedder, questions: list[str]) -> dict[str, object]:
    with Engine(store=store, embedder=embedder) as eng:
        db = eng.store.db
        return {
            "articles": sorted(r[0] for r in db.conn.execute("SELECT id FROM articles")),
            "chunks": sorted(r[0] for r in db.conn.execute("SELECT id FROM chunks")),
            "vectors": sorted(eng.store.vectors.all_ids()),
            "keywords": sorted(eng.store.keywords.ids),
            "answers": [
                (a.answer, [(c.article_id, c.start, c.end) for c in a.citations]) for a in map(eng.ask, questions)
            ],
        }


@pytest.fixture(scope="module")
def reference(news_slice: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    store = tmp_path_factory.mktemp("ref") / "store"
    with Engine(store=store, embedder=embedder) as eng:
        rep = eng.ingest([news_slice], progress=False)
        assert len(rep.added) == N_ARTICLES and not rep.failed
    return store


QUESTIONS = [
    "Who was honored at a private funeral in Forest Lawn?",
    "What did the president say?",
    "Where did the storm hit?",
]


@pytest.mark.parametrize("point", ["early", "mid-batch", "keyword-index"])
def test_sigkill_then_check_and_reingest_equal_an_uninterrupted_store(
    point: str, news_slice: Path, reference: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store = tmp_path / "store"
    started = time.monotonic()
    conditions: dict[str, Callable[[], bool]] = {
        "early": lambda: time.monotonic() - started > 1.0,  # while the model loads
        "mid-batch": lambda: incomplete_rows(store) > 0,  # between an article's rows and its vectors
        "keyword-index": lambda: keyword_write(store),
    }
    condition = conditions[point]
    # small batches: many commits, so the kill lands between two of them
    proc = start_ingest(news_slice, store, RAG_INGEST_BATCH_CHUNKS="64")
    assert kill_when(proc, condition), f"the ingest finished before the {point} kill point"
    if point == "mid-batch":
        assert incomplete_rows(store) > 0  # the kill left articles half-written
    if store.exists():
        check = run_cli("check", store=store)
        assert check.returncode in (0, 1) and "Traceback" not in check.stderr, check.stderr
        if point == "mid-batch":  # found; the ingest below completes them without --repair
            assert check.returncode == 1 and "half-written article(s)" in check.stdout
        if point == "keyword-index":  # the index is mended from the article texts alone
            fixed = run_cli("check", "--repair", store=store)
            assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    again = run_cli("ingest", str(news_slice), "--quiet", store=store)
    assert again.returncode == 0, again.stderr
    assert run_cli("check", store=store).returncode == 0
    assert snapshot(store, embedder, QUESTIONS) == snapshot(reference, embedder, QUESTIONS)


def test_two_writers_one_waits_or_refuses_clearly(
    news_slice: Path, tmp_path: Path, reference: Path, embedder: Embedder
) -> None:
    """Two `rag ingest` at once into a new store: never a corrupt store. Whichever comes
    second waits (RAG_LOCK_WAIT_S) and refuses with a clear message naming the holder's pid if
    the first is still writing; run again, it completes."""
    half = tmp_path / "half.jsonl"
    lines = news_slice.read_text(encoding="utf-8").splitlines(keepends=True)
    half.write_text("".join(lines[: N_ARTICLES // 2]), encoding="utf-8")
    store = tmp_path / "store"
    procs = [start_ingest(news_slice, store, RAG_LOCK_WAIT_S="0.5"), start_ingest(half, store, RAG_LOCK_WAIT_S="0.5")]
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    assert any(p.returncode == 0 for p, _, _ in results), [e for _, _, e in results]
    for p, _, err in results:
        if p.returncode != 0:
            assert p.returncode == 2 and "is being changed by another process (pid " in err, err
            assert "Traceback" not in err
    assert run_cli("check", store=store).returncode == 0
    for path in (news_slice, half):  # the refused one, run again
        assert run_cli("ingest", str(path), "--quiet", store=store).returncode == 0
    assert run_cli("check", store=store).returncode == 0
    assert snapshot(store, embedder, QUESTIONS[:1]) == snapshot(reference, embedder, QUESTIONS[:1])


def test_two_writers_into_an_existing_store_both_succeed_when_the_second_may_wait(
    news_slice: Path, tmp_path: Path, reference: Path, embedder: Embedder
) -> None:
    """The issue's first row (100 + 100 articles into one store lost 256 vectors; here 35 + 35): the second
    writer waits for the lock, then reopens Chroma to see the first one's vectors."""
    lines = news_slice.read_text(encoding="utf-8").splitlines(keepends=True)
    parts = [tmp_path / "seed.jsonl", tmp_path / "one.jsonl", tmp_path / "two.jsonl"]
    for path, part in zip(parts, (lines[:10], lines[10:45], lines[45:]), strict=True):
        path.write_text("".join(part), encoding="utf-8")
    store = tmp_path / "store"
    assert run_cli("ingest", str(parts[0]), "--quiet", store=store).returncode == 0
    procs = [start_ingest(p, store, RAG_LOCK_WAIT_S="240") for p in parts[1:]]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert run_cli("check", store=store).returncode == 0
    assert snapshot(store, embedder, QUESTIONS) == snapshot(reference, embedder, QUESTIONS)
