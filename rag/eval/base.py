"""One interface for every metric (after llama-index-core `evaluation/base.py`): an evaluator
takes the run's records and returns a small pydantic `EvaluationResult`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from .records import Record


class EvaluationResult(BaseModel):
    """`metrics` maps metric name -> value in [0, 1] (ms for latency); `n` is how many
    records counted; `failures` lists ids of the records that lost points, with why."""

    name: str
    metrics: dict[str, float] = Field(default_factory=dict)
    n: int = 0
    failures: list[dict[str, Any]] = Field(default_factory=list)

    def __getitem__(self, key: str) -> float:
        return self.metrics[key]


class Evaluator(ABC):
    name: ClassVar[str]

    @abstractmethod
    def evaluate(self, records: Sequence[Record]) -> EvaluationResult:
        """Score the records; records a metric doesn't apply to are skipped, not counted."""


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def answered(records: Sequence[Record]) -> list[Record]:
    """The records whose answer was not a refusal: what answer-quality metrics judge."""
    return [r for r in records if not r.answer.refused]
