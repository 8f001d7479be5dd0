"""Scale-out: with RAG_CHROMA_URL the engine keeps its vectors in a real `chroma run` server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED_QUESTION, SEED_SENTENCE, SEEDS
from rag import Engine
from rag.embed.embedder import Embedder
from rag.eval.startup import free_port, stop, wait_ready

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture()
def chroma_url(tmp_path: Path) -> Iterator[str]:
    if not CHROMA.exists():
        pytest.skip(f"the chroma CLI is not installed beside {sys.executable}")
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()}")
                time.sleep(0.2)
        yield url
    finally:
        stop(proc)
        log.close()


def test_ingest_and_ask_through_a_chroma_server(
    chroma_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)
    store = tmp_path / "store"
    with Engine(store=store, embedder=embedder) as eng:
        assert eng.config.chroma_url == chroma_url
        report = eng.ingest([SEEDS], progress=False)
        assert report.added and report.chunks_embedded == eng.store.vectors.count() > 0
        ans = eng.ask(SEED_QUESTION)
        assert not ans.refused and any(SEED_SENTENCE in c.quote for c in ans.citations)
        again = eng.ingest([SEEDS], progress=False)  # idempotent through the server too
        assert again.chunks_embedded == 0 and eng.store.vectors.count() == report.chunks_embedded
    assert not (store / "chroma").exists()  # the vectors live in the server, not in the folder
    assert (tmp_path / "server-data" / "chroma.sqlite3").exists()


def test_two_engines_on_one_server_share_articles(
    chroma_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica keeps nothing of its own: one on an empty folder starts with every article,
    sees another's ingest and delete once it follows, and answers identically."""
    from rag.store.replica import follow

    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)
    with Engine(store=tmp_path / "a", embedder=embedder) as a, Engine(store=tmp_path / "b", embedder=embedder) as b:
        a.ingest([SEEDS], progress=False)
        assert b.stats().articles == 0 and follow(b.store) and b.stats() == a.stats()
        assert not follow(b.store)  # nothing new
        assert ask_json(b) == ask_json(a)
        gone = a.ask(SEED_QUESTION).citations[0].article_id
        a.delete(gone)
        assert follow(b.store) and b.article(gone) is None and b.stats() == a.stats()
        a.ingest([SEEDS], progress=False)  # back, through A; B's check sees it on the server first
        vectors = a.store.vectors.count()
        report = b.check(repair=True)
        assert report.ok and not report.repaired and b.article(gone) is not None
        assert b.store.vectors.count() == vectors
        expected = a.stats()
    with Engine(store=tmp_path / "c", embedder=embedder) as c:  # a new replica starts complete
        assert c.stats() == expected


def ask_json(engine: Engine) -> dict[str, object]:
    """The answer as JSON, its scores to two places: a folder store reads its sentences' vectors
    stored in int8 (rag.store.sentence_vectors), a replica embeds them, which moves a score by ~1e-4."""
    out = engine.ask(SEED_QUESTION).to_json_dict()
    out.pop("timings_ms", None)
    return _rounded(out)  # type: ignore[return-value]


def _rounded(x: object) -> object:
    if isinstance(x, float):
        return round(x, 2)
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


def serve(store: Path, url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "RAG_CHROMA_URL": url, "RAG_REPLICA_POLL_S": "0.5", "GRADIO_ANALYTICS_ENABLED": "False"}
    with log.open("wb") as out:
        cmd = [sys.executable, "-m", "rag.cli", "serve", "--store", str(store), "--port", str(port)]
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}/"


def test_ingest_through_one_replica_ask_through_the_other(chroma_url: str, tmp_path: Path) -> None:
    """Two `rag serve` replicas on one `chroma run`, each on its own (empty) folder: what is
    ingested through A is answered by B within seconds, with A's answer and citation offsets."""
    gradio_client = pytest.importorskip("gradio_client", reason="pip install .[ui]")
    replicas = [serve(tmp_path / name, chroma_url, tmp_path / f"{name}.log") for name in ("a", "b")]
    try:
        for (proc, url), name in zip(replicas, ("a", "b"), strict=True):
            wait_ready(url, proc, tmp_path / f"{name}.log")
        env = {**os.environ, "RAG_CHROMA_URL": chroma_url}
        ingest = [sys.executable, "-m", "rag.cli", "ingest", str(SEEDS), "--store", str(tmp_path / "a"), "--quiet"]
        assert subprocess.run(ingest, env=env, capture_output=True, text=True).returncode == 0
        a, b = (gradio_client.Client(url, verbose=False) for _, url in replicas)
        from_a = a.predict(SEED_QUESTION, api_name="/ask")
        deadline = time.monotonic() + 30
        while (from_b := b.predict(SEED_QUESTION, api_name="/ask"))["refused"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not from_a["refused"] and any(SEED_SENTENCE in c["quote"] for c in from_a["citations"])
        for out in (from_a, from_b):
            out.pop("timings_ms")
        assert from_b == from_a
    finally:
        for proc, _ in replicas:
            stop(proc)


def test_publish_moves_a_folder_store_onto_the_server(
    chroma_url: str, seed_store: Path, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rag publish` copies vectors and articles; a replica on an empty folder answers as the
    folder store did, and no chunk is embedded again."""
    import shutil

    local_store = tmp_path / "local"
    shutil.copytree(seed_store, local_store)
    env = {k: v for k, v in os.environ.items() if k != "RAG_CHROMA_URL"}
    cmd = [sys.executable, "-m", "rag.cli", "publish", "--store", str(local_store), "--to", chroma_url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert out.returncode == 0 and "published" in out.stdout, out.stderr
    with Engine(store=local_store, embedder=embedder) as local:
        expected, stats = ask_json(local), local.stats()
    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)
    with Engine(store=tmp_path / "replica", embedder=embedder) as replica:
        assert replica.stats() == stats and replica.store.vectors.count() == stats.chunks
        assert ask_json(replica) == expected
        again = subprocess.run(cmd, env={**env, "RAG_CHROMA_URL": chroma_url}, capture_output=True, text=True)
        assert again.returncode == 2 and "on a Chroma server already" in again.stderr


def test_a_server_without_article_records_gets_them_from_the_first_replica_that_opens(
    chroma_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server written by an older version holds vectors only: the folder that wrote them
    publishes its articles when it opens, and nothing is lost."""
    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)
    with Engine(store=tmp_path / "old", embedder=embedder) as old:
        old.ingest([SEEDS], progress=False)
        expected = old.stats()
        old.store.vectors.client.delete_collection("chunks-articles")  # as an older version left it
    with Engine(store=tmp_path / "old", embedder=embedder) as reopened:
        assert reopened.stats() == expected and reopened.store.server is not None
        assert reopened.store.server.count() == expected.articles
        answer = ask_json(reopened)
    with Engine(store=tmp_path / "new", embedder=embedder) as new:
        assert new.stats() == expected and ask_json(new) == answer


def test_a_follow_reads_the_change_log_not_every_digest(
    chroma_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After its first follow a replica asks only for what changed since its watermark: with the
    server's full digest listing made to fail, it still sees a delete and a re-ingest."""
    from rag.store.replica import follow

    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)
    with Engine(store=tmp_path / "a", embedder=embedder) as a, Engine(store=tmp_path / "b", embedder=embedder) as b:
        a.ingest([SEEDS], progress=False)
        assert follow(b.store) and b.stats() == a.stats()
        assert b.store.server is not None

        def every_digest() -> dict[str, str]:
            raise AssertionError("a follow with a watermark read every digest")

        monkeypatch.setattr(b.store.server, "hashes", every_digest)
        gone = a.ask(SEED_QUESTION).citations[0].article_id
        a.delete(gone)
        assert follow(b.store) and b.article(gone) is None and b.stats() == a.stats()
        a.ingest([SEEDS], progress=False)
        assert follow(b.store) and b.article(gone) is not None and b.stats() == a.stats()
        assert not follow(b.store)


def test_a_follow_after_one_change_at_250k_chunks_takes_under_a_second(
    chroma_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20's bound: 20,000 articles of 12 chunks on the server (written as a writer writes
    them, without vectors: a follow reads the article records alone), one article changed
    through another replica; the replica's follow takes under a second. The full digest
    comparison it replaced is timed beside it."""
    import rag.store.replica as replica_module
    from rag.models import Article, ArticleRecord, Chunk
    from rag.store.replica import follow

    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)
    n, per, size = 20_000, 12, 250
    with Engine(store=tmp_path / "writer", embedder=embedder) as writer:
        server = writer.store.server
        assert server is not None
        text = ("word " * (per * size // 5))[: per * size]
        for start in range(0, n, 2_000):
            records = []
            for i in range(start, start + 2_000):
                aid = f"a{i:06d}"
                chunks = tuple(
                    Chunk(
                        id=f"{aid}-{k}",
                        article_id=aid,
                        start=k * size,
                        end=(k + 1) * size,
                        text=text[k * size : (k + 1) * size],
                    )
                    for k in range(per)
                )
                records.append(ArticleRecord(Article(id=aid, title=f"t{i}", text=text), f"h{i}", chunks))
            server.put_many(records)
        server.bump(None)
        with Engine(store=tmp_path / "replica", embedder=embedder) as replica:
            assert replica.stats().articles == n and replica.stats().chunks == n * per
            one = tmp_path / "one.md"
            one.write_text("# A new article\n\nThe council approved the budget on Monday after a long debate.\n")
            writer.ingest([one], progress=False)
            # the bulk was written a moment ago, inside the window a follow re-reads (LAG_US, 30 s):
            # narrow it, rather than wait, to time a replica's follow in its steady state
            monkeypatch.setattr(replica_module, "LAG_US", 1_000_000)
            t0 = time.perf_counter()
            assert follow(replica.store)
            took = time.perf_counter() - t0
            t0 = time.perf_counter()
            assert len(server.hashes()) == n + 1
            full = time.perf_counter() - t0
            print(f"\nfollow after one ingest at {n * per:,} chunks: {took:.3f} s (every digest: {full:.3f} s)")
            assert took <= 1.0


def test_a_replica_loads_the_keyword_index_the_writer_published(
    chroma_url: str, tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No replica but the writer builds the keyword index: a new one starts with the published
    index and answers as the writer does; after a delete it loads the new one; where none is
    published for its articles (the writer died first), it waits instead of building."""
    from rag.store.keyword_index import KeywordIndex
    from rag.store.replica import follow

    monkeypatch.setenv("RAG_CHROMA_URL", chroma_url)

    def build(*_: object) -> KeywordIndex:
        raise AssertionError("a replica built the keyword index")

    with Engine(store=tmp_path / "a", embedder=embedder) as a:
        a.ingest([SEEDS], progress=False)
        expected = ask_json(a)
        with monkeypatch.context() as patched:
            patched.setattr(KeywordIndex, "build", build)
            with Engine(store=tmp_path / "b", embedder=embedder) as b:
                assert ask_json(b) == expected
                assert b.store.keywords.n_docs == a.store.keywords.n_docs > 0
        gone = a.ask(SEED_QUESTION).citations[0].article_id
        a.delete(gone)  # the writer builds and publishes the new index
        with Engine(store=tmp_path / "b", embedder=embedder) as b, monkeypatch.context() as patched:
            patched.setattr(KeywordIndex, "build", build)
            assert b.article(gone) is None  # followed as it opened
            assert b.store.rebuild_keywords(wait_s=0, build=False)
            assert gone not in set(b.store.keywords.article_ids) and b.store.keywords.n_docs == a.store.keywords.n_docs
            assert b.store.server is not None
            b.store.server.bump(None)  # a change whose writer never published its index
            assert not follow(b.store) and not b.store.rebuild_keywords(wait_s=0, build=False)
