"""Offline question answering over news articles, with sentence-level citations.

The public API: `Engine` and the types it takes and returns.
"""

from .answerers import Answerer, ExtractiveAnswerer, GenerativeAnswerer
from .config import RagConfig
from .engine import Engine
from .models import Answer, Article, Citation, Failure, Filters, IngestReport, Passage, Retrieval, Stats

__all__ = [
    "Answer",
    "Answerer",
    "Article",
    "Citation",
    "Engine",
    "ExtractiveAnswerer",
    "Failure",
    "Filters",
    "GenerativeAnswerer",
    "IngestReport",
    "Passage",
    "RagConfig",
    "Retrieval",
    "Stats",
]
