"""Retrieval: is the gold answer string in the top-k chunks (k = 1, 5, 10), is a gold article
in the top k, and the mean reciprocal rank of the first chunk holding the answer."""

from __future__ import annotations

from collections.abc import Sequence

from ..base import EvaluationResult, Evaluator, mean
from ..normalize import contains_answer
from ..records import Record


class RetrievalEvaluator(Evaluator):
    name = "retrieval"

    def __init__(self, ks: Sequence[int] = (1, 5, 10)) -> None:
        self.ks = tuple(ks)

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        rows = [r for r in records if r.question.answerable and r.question.answers]
        if not rows:
            return EvaluationResult(name=self.name)
        metrics: dict[str, float] = {}
        hit_rank: list[int | None] = []
        for r in rows:
            ranks = [i for i, c in enumerate(r.retrieved, 1) if contains_answer(c.text, r.question.answers)]
            hit_rank.append(ranks[0] if ranks else None)
        for k in self.ks:
            metrics[f"answer@{k}"] = mean([1.0 if h is not None and h <= k else 0.0 for h in hit_rank])
        with_gold = [r for r in rows if r.question.gold_articles]
        for k in self.ks:
            if with_gold:
                metrics[f"article@{k}"] = mean(
                    [
                        1.0 if {c.article_id for c in r.retrieved[:k]} & set(r.question.gold_articles) else 0.0
                        for r in with_gold
                    ]
                )
        metrics["mrr"] = mean([1.0 / h if h is not None else 0.0 for h in hit_rank])
        failures = [
            {"id": r.question.id, "why": f"answer not in top {max(self.ks)} chunks"}
            for r, h in zip(rows, hit_rank, strict=True)
            if h is None
        ]
        return EvaluationResult(name=self.name, metrics=metrics, n=len(rows), failures=failures)
