"""Offline question answering over news articles, with sentence-level citations.

The public API, grouped as the stages run (see docs/ARCHITECTURE.md). The user's part first:
`Engine` and the types it takes and returns. Then, by stage, what a face or an extension needs;
everything else is reachable from its stage package (`rag.text`, `rag.embed`, `rag.store`,
`rag.retrieve`, `rag.answerers`), each with its own `__all__`."""

from rag.answerers import BACKENDS, Answerer, ExtractiveAnswerer, GenerativeAnswerer, LLMError, get_answerer
from rag.config import RagConfig
from rag.embed import Embedder, get_embedder
from rag.engine import Engine
from rag.follow import FeedFollower, Poll, parse_every, read_feeds
from rag.models import (
    CITATION_MARKER,
    REFUSAL_START,
    Answer,
    Article,
    Chunk,
    Citation,
    DatedBy,
    Failure,
    Filters,
    Hit,
    IngestReport,
    Passage,
    Retrieval,
    Stats,
    dating_note,
    parse_day,
    refusal_text,
    unescape_markers,
)
from rag.retrieve import Turn
from rag.store import StoreBusyError, StoreError
from rag.text import SUFFIXES, load_paths

__all__ = [
    # the user API
    "Engine",
    "RagConfig",
    "Answer",
    "Citation",
    "Filters",
    "Turn",
    "Article",
    "DatedBy",
    "dating_note",
    "IngestReport",
    "Failure",
    "Stats",
    "REFUSAL_START",
    "CITATION_MARKER",
    "unescape_markers",
    "parse_day",
    "refusal_text",
    "LLMError",
    "StoreError",
    "StoreBusyError",
    # keeping current with feeds (rag follow, rag serve --follow)
    "FeedFollower",
    "Poll",
    "parse_every",
    "read_feeds",
    # text
    "SUFFIXES",
    "load_paths",
    # embed
    "Embedder",
    "get_embedder",
    # store
    "Chunk",
    # retrieve
    "Hit",
    "Passage",
    "Retrieval",
    # answer
    "BACKENDS",
    "Answerer",
    "ExtractiveAnswerer",
    "GenerativeAnswerer",
    "get_answerer",
]
