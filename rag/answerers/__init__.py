"""Stage 5, answer: what turns retrieved passages into a cited answer. `RagConfig.backend` picks one
by name; `extractive` (quoting) is the offline default, the others generate with an LLM
(`rag.answerers.llm`) and check every generated sentence against its sources."""

from __future__ import annotations

from rag.answerers.base import REFUSAL_START, Answerer, refusal_text
from rag.answerers.extractive import ExtractiveAnswerer
from rag.answerers.generative import UNVERIFIED, GenerativeAnswerer
from rag.answerers.llm import LLM_BACKENDS, LLMError, LLMUnavailable, MissingExtra, build_llm, default_gguf
from rag.answerers.model_process import ModelProcess, ModelStopped
from rag.answerers.support import Evidence, SupportJudge, Verdict
from rag.config import RagConfig
from rag.embed import Embedder

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
    "LLM_BACKENDS",
    "REFUSAL_START",
    "UNVERIFIED",
    "Answerer",
    "Evidence",
    "ExtractiveAnswerer",
    "GenerativeAnswerer",
    "LLMError",
    "LLMUnavailable",
    "MissingExtra",
    "ModelProcess",
    "ModelStopped",
    "SupportJudge",
    "Verdict",
    "build_llm",
    "default_gguf",
    "get_answerer",
    "refusal_text",
]
