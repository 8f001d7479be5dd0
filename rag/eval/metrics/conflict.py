"""Conflicting sources: where true and counterfactual passages are both present the answer must
say that the sources disagree (`Answer.conflict`); elsewhere it must not cry wolf. The values
quoted in the notice must be verbatim in the sentences it cites."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..base import EvaluationResult, Evaluator, mean
from ..records import Record

_VALUE = re.compile(r"\u201c(.*?)\u201d \[(\d+)\]")


class ConflictEvaluator(Evaluator):
    name = "conflict"

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        expect = [r for r in records if r.question.expect_conflict]
        calm = [r for r in records if not r.question.expect_conflict and not r.answer.refused]
        flagged = [r for r in records if r.answer.conflict]
        metrics: dict[str, float] = {}
        if expect:
            metrics["conflict_detected"] = mean([float(bool(r.answer.conflict)) for r in expect])
        if calm:
            metrics["false_conflict_rate"] = mean([float(bool(r.answer.conflict)) for r in calm])
        failures = [
            {"id": r.question.id, "why": "sources disagree but the answer doesn't say so"}
            for r in expect
            if not r.answer.conflict
        ]
        grounded = []
        for r in flagged:
            quotes = {c.n: c.quote for c in r.answer.citations}
            vals = _VALUE.findall(r.answer.conflict or "")
            ok = len(vals) == 2 and all(v in quotes.get(int(n), "") for v, n in vals)
            grounded.append(float(ok))
            if not ok:
                failures.append({"id": r.question.id, "why": "conflict notice not grounded in its citations"})
        if flagged:
            metrics["notice_grounded"] = mean(grounded)
        return EvaluationResult(name=self.name, n=len(expect) + len(calm), metrics=metrics, failures=failures)
