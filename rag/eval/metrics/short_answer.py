"""The field's generation metrics (RealTime QA, after SQuAD): exact match and token F1 of the
short answer against the gold answers (best alias, SQuAD normalisation), over every answerable
question — no short answer scores 0 — plus how often one is given (coverage) and how often a
given one is exactly right (precision). And accuracy at a fixed length: the gold answer inside
the first 1, 2 or 3 cited sentences, with the answer's median length in words, so a gain that
comes only from quoting more is visible as such."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from ..base import EvaluationResult, Evaluator, mean
from ..normalize import contains_answer, exact_match, normalize
from ..records import Record

MAX_SENTENCES = 3


def f1(prediction: str, gold: str) -> float:
    """SQuAD's token F1 of two normalised strings."""
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    same = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


class ShortAnswerEvaluator(Evaluator):
    name = "short_answer"

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        rows = [r for r in records if r.question.answerable and r.question.answers]
        if not rows:
            return EvaluationResult(name=self.name)
        em, f1s, given = [], [], []
        at_k: dict[int, list[float]] = {k: [] for k in range(1, MAX_SENTENCES + 1)}
        words = []
        for r in rows:
            short = r.answer.short_answer if not r.answer.refused else None
            em.append(float(exact_match(short, r.question.answers)))
            f1s.append(max((f1(short, a) for a in r.question.answers), default=0.0) if short else 0.0)
            given.append(short is not None)
            quotes = [c.quote for c in r.answer.citations] if not r.answer.refused else []
            for k in at_k:
                at_k[k].append(float(contains_answer(" ".join(quotes[:k]), r.question.answers)))
            if not r.answer.refused:
                words.append(len(r.answer.answer.split()))
        shown = [e for e, g in zip(em, given, strict=True) if g]
        metrics = {
            "exact_match": mean(em),
            "f1": mean(f1s),
            "coverage": mean([float(g) for g in given]),
            "precision": mean(shown) if shown else 0.0,
            **{f"accuracy_at_{k}": mean(v) for k, v in at_k.items()},
            "median_answer_words": float(statistics.median(words)) if words else 0.0,
        }
        return EvaluationResult(name=self.name, n=len(rows), metrics=metrics)
