"""Run eval questions through an `Engine` and keep what the evaluators need."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from rag import Engine, ExtractiveAnswerer

from .records import EvalQuestion, Record, RetrievedChunk


def top_chunks(engine: Engine, q: EvalQuestion, k: int) -> list[RetrievedChunk]:
    """The retriever's top k chunks for the question, as `Engine.ask` would read them."""
    r = engine.retrieve(q.question, as_of=q.as_of, filters=q.filters, top_k=k)
    return [RetrievedChunk(article_id=p.article.id, text=p.text) for p in r.passages]


def run_one(engine: Engine, q: EvalQuestion, k: int = 10) -> Record:
    t0 = time.perf_counter()
    ans = engine.ask(q.question, as_of=q.as_of, filters=q.filters)
    latency = (time.perf_counter() - t0) * 1000
    cited = engine.articles(c.article_id for c in ans.citations)
    return Record(
        question=q,
        answer=ans,
        retrieved=top_chunks(engine, q, k),
        latency_ms=latency,
        ranked=ranked_sentences(engine, q),
        sources={a: art.text for a, art in cited.items()},
    )


def ranked_sentences(engine: Engine, q: EvalQuestion) -> list[str]:
    """The reader's ranking of the candidate sentences, where the answerer ranks sentences."""
    answerer = engine.answerer
    if not isinstance(answerer, ExtractiveAnswerer):
        return []
    return [c.text for c in answerer.rank(engine.retrieve(q.question, as_of=q.as_of, filters=q.filters))]


def run_questions(
    engine: Engine, questions: Sequence[EvalQuestion], *, progress: bool = True, label: str = "eval"
) -> list[Record]:
    items: Iterable[EvalQuestion] = questions
    if progress:
        from tqdm import tqdm

        items = tqdm(questions, desc=label, unit="q")
    return [run_one(engine, q) for q in items]
