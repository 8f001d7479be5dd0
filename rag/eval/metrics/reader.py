"""Where right answers are lost, step by step: the gold answer in the top-5 retrieved chunks,
in some candidate sentence, in the reader's top 1/2/3/5 sentences (only where the answerer
ranks sentences; refusals aside, accuracy is the last step)."""

from __future__ import annotations

from collections.abc import Sequence

from ..base import EvaluationResult, Evaluator, mean
from ..normalize import contains_answer
from ..records import Record

TOPS = (1, 2, 3, 5)


class ReaderEvaluator(Evaluator):
    name = "reader"

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        rows = [r for r in records if r.question.answerable and r.question.answers and r.ranked]
        if not rows:
            return EvaluationResult(name=self.name)
        holds = [[contains_answer(s, r.question.answers) for s in r.ranked] for r in rows]
        metrics = {
            "in_top5_chunks": mean(
                [float(any(contains_answer(c.text, r.question.answers) for c in r.retrieved[:5])) for r in rows]
            ),
            "in_candidates": mean([float(any(h)) for h in holds]),
            **{
                f"top{n}_sentence" if n == 1 else f"top{n}_sentences": mean([float(any(h[:n])) for h in holds])
                for n in TOPS
            },
        }
        failures = [
            {"id": r.question.id, "why": "answer in a candidate sentence, not the top one"}
            for r, h in zip(rows, holds, strict=True)
            if any(h) and not h[0]
        ]
        return EvaluationResult(name=self.name, metrics=metrics, n=len(rows), failures=failures)
