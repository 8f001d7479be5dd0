"""Scale-out: with RAG_CHROMA_URL the engine keeps its vectors in a real `chroma run` server."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED_QUESTION, SEED_SENTENCE, SEEDS
from eval.startup import free_port, stop
from rag import Engine
from rag.embedder import Embedder

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
