import pytest

from eval_helpers import cite, record
from rag.eval.metrics.conflict import ConflictEvaluator

QA = "RIA also said Syrian insurgents had guaranteed the security of Russian military bases."
QB = "The storm made landfall near Fort Myers, Florida, on September 28, killing at least 100 people."


def test_detection_false_alarms_and_grounding() -> None:
    cits = [cite(1, "a", QA), cite(2, "b", QB)]
    grounded = "Sources disagree: \u201cSyrian insurgents\u201d [1] vs. \u201cFort Myers\u201d [2]."
    made_up = "Sources disagree: \u201cKurds\u201d [1] vs. \u201cFort Myers\u201d [2]."
    rs = [
        record(qid="hit", expect_conflict=True, citations=cits, conflict=grounded),
        record(qid="miss", expect_conflict=True),
        record(qid="calm"),
        record(qid="wolf", citations=cits, conflict=made_up),
    ]
    r = ConflictEvaluator().evaluate(rs)
    assert r["conflict_detected"] == pytest.approx(1 / 2)
    assert r["false_conflict_rate"] == pytest.approx(1 / 2)
    assert r["notice_grounded"] == pytest.approx(1 / 2)
