"""The Engine: the one object the page, the Python API, the CLI and the eval suite use."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from .answerer import ExtractiveAnswerer, candidate_sentences
from .condense import Turn, condense
from .conflicts import find_conflict
from .config import RagConfig
from .embedder import Embedder, get_embedder
from .ingest import ProgressFn, ingest_articles
from .loaders import load_paths
from .models import Answer, Article, Failure, Filters, IngestReport, Stats
from .retriever import Retriever
from .store import Store


def refusal_text(question: str) -> str:
    return (f"The articles don't say. Nothing in them answers \u201c{question.strip()}\u201d "
            "well enough to quote.")


class Engine:
    """Ingest articles and answer questions about them, with verbatim citations.

    >>> engine = Engine(store="./.rag")
    >>> engine.ingest(["seeds/"])
    >>> engine.ask("Who guaranteed the security of Russian bases?").answer
    """

    def __init__(self, store: str | Path | None = None, *, config: RagConfig | None = None,
                 embedder: Embedder | None = None) -> None:
        cfg = config or RagConfig()
        if store is not None:
            cfg = cfg.model_copy(update={"store": Path(store)})
        self.config = cfg
        self.store = Store(cfg)
        self._embedder = embedder
        self.retriever = Retriever(self.store, cfg)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:  # loaded on first use: `rag stats` needs no model
            self._embedder = get_embedder(self.config.embed_backend, self.config.device,
                                          self.config.embed_batch_size)
        return self._embedder

    # --- writing -------------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], *, progress: bool = True,
               on_progress: ProgressFn | None = None) -> IngestReport:
        """Load files/folders and add what is new or changed; see `IngestReport`."""
        return self.ingest_articles(load_paths(paths), progress=progress, on_progress=on_progress)

    def ingest_articles(self, items: Iterable[Article | Failure], *, progress: bool = True,
                        on_progress: ProgressFn | None = None) -> IngestReport:
        # The model loads only if something needs embedding: re-ingesting stays instant.
        return ingest_articles(self.store, lambda texts: self.embedder.embed(texts), items, progress=progress,
                               on_progress=on_progress, batch_chunks=self.config.ingest_batch_chunks)

    def delete(self, article_id: str) -> None:
        """Remove an article from every part of the store; KeyError if it isn't there."""
        self.store.delete(article_id)

    # --- reading -------------------------------------------------------------------------
    def stats(self) -> Stats:
        return self.store.stats()

    def article(self, article_id: str) -> Article | None:
        return self.store.db.get(article_id)

    def ask(
        self,
        question: str,
        *,
        as_of: dt.date | str | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
        top_k: int | None = None,
    ) -> Answer:
        if not question or not question.strip():
            raise ValueError("the question is empty")
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of)
        t0 = time.perf_counter()
        query = condense(question, history)
        q_vec = self.embedder.embed([query])[0]
        t_embed = time.perf_counter()
        hits = self.retriever.search(query, q_vec, k=top_k or self.config.top_k,
                                     filters=filters, as_of=as_of)
        spans = self.store.db.chunk_spans([h.chunk_id for h in hits])
        articles = self.store.db.get_many(a for a, _, _ in spans.values())
        chunks = [(articles[spans[h.chunk_id][0]], spans[h.chunk_id][1], spans[h.chunk_id][2])
                  for h in hits if h.chunk_id in spans]
        t_retrieve = time.perf_counter()
        answerer = ExtractiveAnswerer(self.embedder, self.config)
        ranked = answerer.score(query, q_vec, candidate_sentences(query, chunks, self.store.keywords))
        chosen = answerer.choose(ranked)
        conflict = find_conflict(ranked) if chosen else None
        notice = None
        if chosen:
            if conflict:  # cite both sides of the disagreement
                chosen = conflict.cited(chosen)
            text, short, citations = answerer.answer(question, chosen)
            if conflict:
                notice = conflict.notice(citations)
                text = f"{text} {notice}"
        else:
            text, short, citations = refusal_text(question), None, []
        t_answer = time.perf_counter()
        return Answer(
            question=question, answer=text, refused=not chosen, citations=citations,
            short_answer=short, support=ranked[0].score if ranked else 0.0, query=query,
            conflict=notice,
            timings_ms={
                "embed": (t_embed - t0) * 1000,
                "retrieve": (t_retrieve - t0) * 1000,
                "answer": (t_answer - t_retrieve) * 1000,
                "total": (t_answer - t0) * 1000,
            },
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
