"""Citation recall and precision as ALCE defines them (Gao et al. 2023, `compute_autoais`).

Recall of an answer: the share of its statements that the union of their citations supports.
Precision: a citation counts unless it is irrelevant, i.e. the statement is supported, the
citation alone does not support it, and the other citations still do without it. Both are
averaged over answers; refusals are skipped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.answerers import SupportJudge

from ..base import EvaluationResult, Evaluator, answered, mean
from ..records import Record
from ..statements import passages, statements


class CitationEvaluator(Evaluator):
    name = "citations"

    def __init__(self, judge: SupportJudge | None = None) -> None:
        self.judge = judge or SupportJudge()

    def _supported(self, record: Record, text: str, cites: tuple[int, ...]) -> bool:
        return bool(cites) and self.judge.judge(text, passages(record, cites)).supported

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        recalls: list[float] = []
        precisions: list[float] = []
        failures: list[dict[str, Any]] = []
        to_judge = answered(records)
        if not to_judge:
            return EvaluationResult(name=self.name)
        for r in to_judge:
            sts = statements(r.answer.answer, r.answer.conflict, r.answer.notice)
            entail = prec_ok = n_cites = 0
            for st in sts:
                joint = self._supported(r, st.text, st.cites)
                entail += joint
                n_cites += len(st.cites)
                if not joint:
                    failures.append(
                        {"id": r.question.id, "sentence": st.text[:200], "why": "not supported by its citations"}
                    )
                    continue
                for n in st.cites:
                    rest = tuple(m for m in st.cites if m != n)
                    alone = self._supported(r, st.text, (n,))
                    if len(st.cites) > 1 and not alone and self._supported(r, st.text, rest):
                        failures.append({"id": r.question.id, "citation": n, "why": "citation not needed"})
                    else:
                        prec_ok += 1
            recalls.append(entail / len(sts) if sts else 0.0)
            precisions.append(prec_ok / n_cites if n_cites else 0.0)
        return EvaluationResult(
            name=self.name,
            n=len(recalls),
            failures=failures,
            metrics={"citation_recall": mean(recalls), "citation_precision": mean(precisions)},
        )
