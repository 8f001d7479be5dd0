"""Faithfulness: the share of answer sentences that the sources they cite support (judged by
`rag.SupportJudge`, the check the generative answerer applies; a sentence citing nothing is
unsupported). Refusals are skipped."""

from __future__ import annotations

from collections.abc import Sequence

from rag.answerers import SupportJudge

from ..base import EvaluationResult, Evaluator, answered, mean
from ..records import Record
from ..statements import judged


class FaithfulnessEvaluator(Evaluator):
    name = "faithfulness"

    def __init__(self, judge: SupportJudge | None = None) -> None:
        self.judge = judge or SupportJudge()

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        sentence_ok: list[float] = []
        answer_ok: list[float] = []
        failures = []
        to_judge = answered(records)
        if not to_judge:
            return EvaluationResult(name=self.name)
        for r in to_judge:
            verdicts = judged(r, self.judge)
            oks = [float(v.supported) for _, v in verdicts]
            sentence_ok += oks
            answer_ok.append(float(bool(oks) and all(oks)))
            failures += [
                {"id": r.question.id, "sentence": st.text[:200], "why": v.reason, "missing": v.missing}
                for st, v in verdicts
                if not v.supported
            ]
        return EvaluationResult(
            name=self.name,
            n=len(answer_ok),
            failures=failures,
            metrics={"faithfulness": mean(sentence_ok), "answers_fully_supported": mean(answer_ok)},
        )
