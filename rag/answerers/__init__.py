"""Answerers: what turns retrieved passages into a cited answer. `RagConfig.backend` picks one
by name; `extractive` (quoting) is the offline default."""

from __future__ import annotations

from ..config import RagConfig
from ..embedder import Embedder
from .base import REFUSAL_START, Answerer, refusal_text
from .extractive import ExtractiveAnswerer

BACKENDS = ("extractive",)


def get_answerer(config: RagConfig, embedder: Embedder) -> Answerer:
    """The answerer `config.backend` names; a clear ValueError for an unknown name."""
    if config.backend == "extractive":
        return ExtractiveAnswerer(embedder, config)
    raise ValueError(f"unknown backend {config.backend!r}: choose from {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "REFUSAL_START", "Answerer", "ExtractiveAnswerer", "get_answerer", "refusal_text"]
