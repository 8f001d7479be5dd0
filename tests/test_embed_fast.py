"""The fast CPU path must give the torch path's vectors (same model, other runtime)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from conftest import NEWS, SEED_QUESTION, SEEDS
from rag.config import RagConfig
from rag.embed.embedder import Embedder, TorchEmbedder, get_embedder
from rag.embed.fast import OnnxRuntimeEmbedder, OpenVINOEmbedder, export_onnx, fast_path_available
from rag.models import Article
from rag.text.loaders import load_paths
from rag.text.splitter import split_article

pytestmark = [pytest.mark.model, pytest.mark.skipif(not fast_path_available(), reason="openvino/onnx not installed")]


@pytest.fixture(scope="module")
def chunk_texts() -> list[str]:
    """Real chunks: the seed article's, plus 15 news articles' when the data is there."""
    paths = [SEEDS] + ([NEWS] if NEWS.exists() else [])
    arts = [a for a in itertools.islice(load_paths(paths), 16) if isinstance(a, Article)]
    texts = [c.text for a in arts for c in split_article(a)]
    # Short texts too (questions, answer sentences), in mixed order to test the sorting.
    return [*texts[:48], SEED_QUESTION, "Moscow", "a"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export for the module (into a temporary cache, never the user's)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def reference(chunk_texts: list[str]) -> np.ndarray:
    return TorchEmbedder().embed(chunk_texts)


@pytest.mark.parametrize("make", [OpenVINOEmbedder, OnnxRuntimeEmbedder])
def test_vectors_agree_with_torch(make: type, chunk_texts: list[str], reference: np.ndarray, cache: Path) -> None:
    emb: Embedder = make(cache=cache)
    vecs = emb.embed(chunk_texts)
    assert vecs.dtype == np.float32 and vecs.shape == (len(chunk_texts), emb.dim) == reference.shape
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    cos = (vecs * reference).sum(axis=1)
    assert cos.min() > 0.99, f"{emb.name}: worst cosine to torch {cos.min():.4f}"
    # Same neighbours: each text's nearest other text is the same under both paths.
    sim_fast, sim_ref = vecs @ vecs.T, reference @ reference.T
    np.fill_diagonal(sim_fast, -1)
    np.fill_diagonal(sim_ref, -1)
    assert (sim_fast.argmax(1) == sim_ref.argmax(1)).mean() > 0.95


def test_export_says_so_in_one_line_and_is_cached(tmp_path: Path) -> None:
    import subprocess
    import sys

    # in a fresh process and cache, as a user's first `rag ask` does it: one line, no warnings
    code = f"from rag.embed import export_onnx; export_onnx({str(tmp_path)!r})"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("preparing the embedding model for this CPU, once"), lines
    assert "Warning" not in proc.stderr and proc.stdout == ""
    first = export_onnx(tmp_path)
    stamp = first.stat().st_mtime_ns
    assert export_onnx(tmp_path) == first and first.stat().st_mtime_ns == stamp
    assert [p.name for p in first.parent.iterdir()] == ["model.onnx"]  # no temp file left


def test_empty_input(cache: Path) -> None:
    assert OpenVINOEmbedder(cache=cache).embed([]).shape == (0, 384)


def test_backend_selection() -> None:
    assert get_embedder("auto").name.startswith("openvino")
    assert get_embedder("torch").name == "torch-cpu"
    with pytest.raises(ValueError, match="unknown embedding backend"):
        get_embedder("nope")


def test_a_model_cache_that_cannot_be_written_falls_back_to_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another user's $HOME (seen as `setpriv` kept HOME=/root): a traceback from OpenVINO's
    CACHE_DIR before, the torch path with one note now; asked for by name, a clear error."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RAG_MODEL_CACHE", str(blocker / "cache"))
    cache = RagConfig().model_cache  # read from the environment by the config, and only there
    assert cache == blocker / "cache"
    emb = get_embedder.__wrapped__("auto", cache=cache)
    assert isinstance(emb, TorchEmbedder)
    assert "can't be created" in capsys.readouterr().err
    with pytest.raises(ValueError, match="set RAG_MODEL_CACHE to a writable folder"):
        get_embedder.__wrapped__("openvino", cache=cache)
