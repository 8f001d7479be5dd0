"""Offline question answering over news articles, with sentence-level citations.

The public API: `Engine` and the types it takes and returns.
"""

from .config import RagConfig
from .engine import Engine
from .models import Answer, Article, Citation, Failure, Filters, IngestReport, Stats

__all__ = [
    "Answer",
    "Article",
    "Citation",
    "Engine",
    "Failure",
    "Filters",
    "IngestReport",
    "RagConfig",
    "Stats",
]
