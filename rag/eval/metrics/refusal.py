"""Refusal: how often unanswerable questions are refused (want 1) and answerable ones are
refused anyway (the false-refusal rate, want 0)."""

from __future__ import annotations

from collections.abc import Sequence

from ..base import EvaluationResult, Evaluator, mean
from ..records import Record


class RefusalEvaluator(Evaluator):
    name = "refusal"

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        unans = [r for r in records if not r.question.answerable]
        ans = [r for r in records if r.question.answerable]
        metrics = {}
        if unans:
            metrics["refusal_rate"] = mean([float(r.answer.refused) for r in unans])
        if ans:
            metrics["false_refusal_rate"] = mean([float(r.answer.refused) for r in ans])
        failures = [
            {"id": r.question.id, "why": "answered an unanswerable question", "answer": r.answer.answer[:200]}
            for r in unans
            if not r.answer.refused
        ] + [{"id": r.question.id, "why": "refused an answerable question"} for r in ans if r.answer.refused]
        return EvaluationResult(name=self.name, n=len(records), metrics=metrics, failures=failures)
