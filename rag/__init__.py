"""Offline question answering over news articles, with sentence-level citations.

The public API is what this module exports: `Engine` and the types it takes and returns, the
answerers, the embedders and the building blocks the faces (the page, the eval suite, the
command line) use. See docs/ARCHITECTURE.md."""

from .answerers import BACKENDS, Answerer, ExtractiveAnswerer, GenerativeAnswerer, get_answerer
from .answerers.generative import UNVERIFIED
from .condense import Turn
from .config import RagConfig
from .embed_fast import OnnxRuntimeEmbedder, OpenVINOEmbedder
from .embedder import Embedder, TorchEmbedder, get_embedder
from .engine import Engine
from .llm import LLMError
from .loaders import SUFFIXES, load_paths
from .models import (
    REFUSAL_START,
    Answer,
    Article,
    Chunk,
    Citation,
    Failure,
    Filters,
    Hit,
    IngestReport,
    Passage,
    Retrieval,
    Stats,
    parse_day,
    refusal_text,
)
from .splitter import sentence_spans, split_article
from .support import Evidence, SupportJudge, Verdict

__all__ = [
    "BACKENDS",
    "REFUSAL_START",
    "SUFFIXES",
    "UNVERIFIED",
    "Answer",
    "Answerer",
    "Article",
    "Chunk",
    "Citation",
    "Embedder",
    "Engine",
    "Evidence",
    "ExtractiveAnswerer",
    "Failure",
    "Filters",
    "GenerativeAnswerer",
    "Hit",
    "IngestReport",
    "LLMError",
    "OnnxRuntimeEmbedder",
    "OpenVINOEmbedder",
    "Passage",
    "RagConfig",
    "Retrieval",
    "Stats",
    "SupportJudge",
    "TorchEmbedder",
    "Turn",
    "Verdict",
    "get_answerer",
    "get_embedder",
    "load_paths",
    "parse_day",
    "refusal_text",
    "sentence_spans",
    "split_article",
]
