import pytest

from eval_helpers import cite, record
from rag.eval.metrics.accuracy import AnswerAccuracyEvaluator


def test_gold_or_alias_in_answer_and_refusals_count_wrong() -> None:
    right = record(qid="right")
    alias = record(qid="alias", answers=("rebels", "Syrian insurgents"))
    wrong = record(
        qid="wrong",
        citations=[cite(1, "a", "The war lasted nearly 14 years.")],
        text="The war lasted nearly 14 years. [1]",
    )
    refused = record(qid="refused", refused=True)
    r = AnswerAccuracyEvaluator().evaluate([right, alias, wrong, refused])
    assert r["accuracy"] == pytest.approx(2 / 4)
    assert r["accuracy_when_answered"] == pytest.approx(2 / 3)
    assert {f["id"] for f in r.failures} == {"wrong", "refused"}
