"""Dense search with filters: the fast over-fetch route must give Chroma's filtered answer."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.models import Filters
from rag.store.vector_store import VectorStore, chroma_where


@pytest.fixture()
def vectors(tmp_path: Path) -> VectorStore:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(400, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store = VectorStore(tmp_path / "chroma", "test-chunks")
    # Dates spread over a year; two sources; one day (20220301) holds only 3 chunks.
    days = [20220101 + (i % 12) * 100 + 2 if i >= 3 else 20220301 for i in range(400)]
    metas = [
        {"article_id": f"a{i}", "date": d, "source": "cnn.com" if i % 2 else "usatoday.com"} for i, d in enumerate(days)
    ]
    store.upsert([f"c{i}" for i in range(400)], vecs, metas)
    return store


@pytest.mark.parametrize(
    "filters",
    [
        Filters(date_to=dt.date(2022, 6, 30)),  # half the chunks pass: the over-fetch route
        Filters(sources=("cnn.com",), date_from=dt.date(2022, 3, 1)),
        Filters(date_from=dt.date(2022, 3, 1), date_to=dt.date(2022, 3, 1)),  # 3 pass: the fallback
    ],
)
def test_filtered_search_matches_chromas_own(vectors: VectorStore, filters: Filters) -> None:
    q = np.ones(16, dtype=np.float32) / 4.0
    got = vectors.search(q, 10, filters)
    ref = vectors.collection.query(query_embeddings=q.reshape(1, -1), n_results=10, where=chroma_where(filters))["ids"][
        0
    ]
    assert [h.chunk_id for h in got] == ref and got


def test_empty_collection(tmp_path: Path) -> None:
    assert VectorStore(tmp_path / "c", "empty-one").search(np.ones(4, np.float32), 5, Filters()) == []


def test_chromadb_is_imported_with_the_signature_check_restored() -> None:
    """The start-up skips `overrides`' check while chromadb loads (rag.store.vector_store), and
    only then: in a fresh process, chromadb works and the check is back for everything else."""
    code = (
        "import importlib, sys\n"
        "from rag.store.vector_store import _import_chromadb\n"
        "ov = importlib.import_module('overrides.overrides')\n"
        "before = ov.ensure_signature_is_compatible\n"
        "chromadb = _import_chromadb()\n"
        "assert ov.ensure_signature_is_compatible is before\n"
        "assert chromadb.EphemeralClient().get_or_create_collection('chunks').count() == 0\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
