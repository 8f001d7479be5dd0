"""Answerers: what turns retrieved passages into a cited answer. `RagConfig.backend` picks one
by name; `extractive` (quoting) is the offline default, the others generate with an LLM
(`rag.llm`) and check every generated sentence against its sources."""

from __future__ import annotations

from ..config import RagConfig
from ..embedder import Embedder
from ..llm import LLM_BACKENDS, build_llm
from .base import REFUSAL_START, Answerer, refusal_text
from .extractive import ExtractiveAnswerer
from .generative import GenerativeAnswerer

BACKENDS = ("extractive", *LLM_BACKENDS)


def get_answerer(config: RagConfig, embedder: Embedder) -> Answerer:
    """The answerer `config.backend` names; a clear ValueError for an unknown name, an
    `LLMError` for a generation backend that can't be set up."""
    if config.backend not in BACKENDS:
        raise ValueError(f"unknown backend {config.backend!r}: choose from {', '.join(BACKENDS)}")
    extractive = ExtractiveAnswerer(embedder, config)
    if config.backend == "extractive":
        return extractive
    # the model loads (or the client is made) here, once per Engine
    return GenerativeAnswerer(build_llm(config), config, fallback=extractive)


__all__ = [
    "BACKENDS",
    "REFUSAL_START",
    "Answerer",
    "ExtractiveAnswerer",
    "GenerativeAnswerer",
    "get_answerer",
    "refusal_text",
]
