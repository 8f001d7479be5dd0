"""Run eval questions through an `Engine` and keep what the evaluators need."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence

from rag import Engine, ExtractiveAnswerer

from .records import EvalQuestion, Record, RetrievedChunk


def run_one(engine: Engine, q: EvalQuestion, k: int = 10) -> Record:
    """One question, retrieved once and read once: the top `k` chunks for the retrieval metrics,
    of which the first `top_k` are what `Engine.ask` reads (fusion ranks before it cuts, so they
    are the same passages), and the reader's ranking the answer was chosen from."""
    t0 = time.perf_counter()
    top_k = engine.config.top_k
    wide = engine.retrieve(q.question, as_of=q.as_of, filters=q.filters, top_k=max(k, top_k))
    read = dataclasses.replace(wide, passages=wide.passages[:top_k])
    answerer = engine.answerer
    if isinstance(answerer, ExtractiveAnswerer):
        ranking = answerer.rank(read)
        ans = answerer.answer(read, ranked=ranking)
        ranked = [c.text for c in ranking]
    else:
        ans, ranked = answerer.answer(read), []
    latency = (time.perf_counter() - t0) * 1000
    cited = engine.articles(c.article_id for c in ans.citations)
    return Record(
        question=q,
        answer=ans,
        retrieved=[RetrievedChunk(article_id=p.article.id, text=p.text) for p in wide.passages[:k]],
        latency_ms=latency,
        ranked=ranked,
        sources={a: art.text for a, art in cited.items()},
    )


def run_questions(
    engine: Engine, questions: Sequence[EvalQuestion], *, progress: bool = True, label: str = "eval"
) -> list[Record]:
    items: Iterable[EvalQuestion] = questions
    if progress:
        from tqdm import tqdm

        items = tqdm(questions, desc=label, unit="q")
    return [run_one(engine, q) for q in items]
