"""Generation: how often the model strays, before verification. `raw_faithfulness` is the share
of the model's own sentences (over every question a model answered) that the sentences they cite
support, as the answerer judged them with the support judge (`Answer.removed` holds the ones
that failed); `faithfulness.faithfulness` measures what was delivered after verification.
`fallback_rate`: answers where nothing generated survived (or the model refused) and the
extractive answer was given instead. Skipped (no metrics) for the extractive backend."""

from __future__ import annotations

from collections.abc import Sequence

from ..base import EvaluationResult, Evaluator, mean
from ..records import Record


class GenerationEvaluator(Evaluator):
    name = "generation"

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        made = [r for r in records if r.answer.generated is not None]
        if not made:
            return EvaluationResult(name=self.name)
        claimed = [r for r in made if r.answer.generated_sentences]
        total = sum(r.answer.generated_sentences for r in claimed)
        bad = sum(len(r.answer.removed) for r in claimed)
        fell_back = [r for r in made if r.answer.backend == "extractive"]  # the quoting fallback answered
        metrics = {
            "raw_faithfulness": (total - bad) / total if total else 0.0,
            "raw_answers_fully_supported": mean([float(not r.answer.removed) for r in claimed]),
            "model_refusal_rate": mean([float(r.answer.generated_sentences == 0) for r in made]),
            "fallback_rate": len(fell_back) / len(made),
        }
        failures = [{"id": r.question.id, "removed": s[:200]} for r in claimed for s in r.answer.removed]
        return EvaluationResult(name=self.name, n=len(made), metrics=metrics, failures=failures)
