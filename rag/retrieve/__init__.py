"""Stage 4, retrieve: a question (condensed with its conversation, `condense`) to ranked chunks
of the store, dense + BM25 fused with recency (`retriever`); the same retrieval as a llama-index
retriever (`llama_index`, loaded only when asked for: llama-index is heavy)."""

from rag.retrieve.condense import Turn, checked_history, condense, needs_history
from rag.retrieve.retriever import Retriever, recency_weight, rrf

__all__ = ["Retriever", "Turn", "checked_history", "condense", "needs_history", "recency_weight", "rrf"]
