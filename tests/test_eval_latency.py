import pytest

from eval_helpers import record
from rag.eval.metrics.latency import LatencyEvaluator


def test_percentiles() -> None:
    r = LatencyEvaluator().evaluate([record(latency_ms=float(ms)) for ms in range(1, 101)])
    assert r["p50_ms"] == pytest.approx(50.5) and r["p95_ms"] == pytest.approx(95.05)
    assert r["max_ms"] == 100
    assert LatencyEvaluator().evaluate([]).metrics == {}
