import pytest

from eval_helpers import record
from rag.eval.metrics.refusal import RefusalEvaluator


def test_refusal_and_false_refusal_rates() -> None:
    rs = [
        record(qid="u1", answerable=False, answers=(), refused=True),
        record(qid="u2", answerable=False, answers=()),  # answered: a miss
        record(qid="a1"),
        record(qid="a2"),
        record(qid="a3"),
        record(qid="a4", refused=True),
    ]  # refused an answerable question
    r = RefusalEvaluator().evaluate(rs)
    assert r["refusal_rate"] == pytest.approx(1 / 2)
    assert r["false_refusal_rate"] == pytest.approx(1 / 4)
    assert {f["id"] for f in r.failures} == {"u2", "a4"}
