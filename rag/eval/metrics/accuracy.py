"""Answer accuracy: the normalised gold answer (or an alias) occurs in the answer given.
A refusal is never accurate. `short_answer_em` also reports exact match of the short answer."""

from __future__ import annotations

from collections.abc import Sequence

from ..base import EvaluationResult, Evaluator, mean
from ..normalize import contains_answer, exact_match
from ..records import Record


class AnswerAccuracyEvaluator(Evaluator):
    name = "accuracy"

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        rows = [r for r in records if r.question.answerable and r.question.answers]
        if not rows:
            return EvaluationResult(name=self.name)
        ok = [not r.answer.refused and contains_answer(r.answer.answer, r.question.answers) for r in rows]
        em = [exact_match(r.answer.short_answer, r.question.answers) for r in rows]
        answered = [o for o, r in zip(ok, rows, strict=True) if not r.answer.refused]
        failures = [
            {
                "id": r.question.id,
                "why": "refused" if r.answer.refused else "gold answer not in answer",
                "gold": r.question.answers[0],
                "answer": r.answer.answer[:200],
            }
            for r, o in zip(rows, ok, strict=True)
            if not o
        ]
        return EvaluationResult(
            name=self.name,
            n=len(rows),
            failures=failures,
            metrics={
                "accuracy": mean([float(o) for o in ok]),
                "accuracy_when_answered": mean([float(o) for o in answered]),
                "short_answer_em": mean([float(e) for e in em]),
            },
        )
