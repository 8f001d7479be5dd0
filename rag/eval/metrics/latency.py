"""Latency per question: p50 and p95 of the wall time of `Engine.ask`, in milliseconds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..base import EvaluationResult, Evaluator
from ..records import Record


class LatencyEvaluator(Evaluator):
    name = "latency"

    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        ms = np.array([r.latency_ms for r in records], dtype=float)
        if not len(ms):
            return EvaluationResult(name=self.name)
        return EvaluationResult(
            name=self.name,
            n=len(ms),
            metrics={
                "p50_ms": float(np.percentile(ms, 50)),
                "p95_ms": float(np.percentile(ms, 95)),
                "max_ms": float(ms.max()),
            },
        )
