"""Text embeddings from the bundled all-MiniLM-L6-v2 model (no download, ever)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.embed.model import DIM, model_path


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of size `dim`."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class TorchEmbedder:
    """The reference path: sentence-transformers on torch (CPU or CUDA)."""

    def __init__(self, device: str = "cpu", batch_size: int = 64) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for, but no CUDA GPU is available")
        self.device = device
        self.batch_size = batch_size
        self.model = SentenceTransformer(model_path(), device=device)
        self.dim = int(self.model.get_embedding_dimension() or DIM)
        self.name = f"torch-{device}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


@lru_cache(maxsize=4)
def get_embedder(
    backend: str = "auto", device: str = "cpu", batch_size: int = 64, cache: str | Path | None = None
) -> Embedder:
    """One shared embedder per setting: loading the model costs seconds.

    "auto" takes the fast CPU path (rag.embed.fast: OpenVINO) when it is installed and the
    device is the CPU, else torch; "openvino" / "onnxruntime" ask for one runtime, "torch" for
    the reference path. `batch_size` applies to torch; the fast path uses its own tuned size;
    `cache` is where the fast path keeps its export (RagConfig.model_cache)."""
    from rag.embed import fast as embed_fast

    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    if backend == "auto":
        backend = "openvino" if device == "cpu" and embed_fast.fast_path_available() else "torch"
        if backend == "openvino" and (why := embed_fast.cache_problem(cache)):
            # Another user's $HOME, a read-only home: slower, but never a crash.
            print(f"note: {why}; embedding with torch instead (set RAG_MODEL_CACHE)", file=sys.stderr)
            backend = "torch"
    elif backend in ("openvino", "onnxruntime") and (why := embed_fast.cache_problem(cache)):
        raise ValueError(f"{why}: set RAG_MODEL_CACHE to a writable folder, or use the torch backend")
    if backend == "torch":
        return TorchEmbedder(device=device, batch_size=batch_size)
    if device == "cuda":
        raise ValueError(f"embed_backend={backend!r} runs on the CPU; use torch for --device cuda")
    if backend == "openvino":
        return embed_fast.OpenVINOEmbedder(cache=cache)
    if backend == "onnxruntime":
        return embed_fast.OnnxRuntimeEmbedder(cache=cache)
    raise ValueError(f"unknown embedding backend {backend!r}: auto, torch, openvino or onnxruntime")
