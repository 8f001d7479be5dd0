import pytest

from eval_helpers import record
from rag.eval.metrics.retrieval import RetrievalEvaluator


def test_answer_and_article_in_top_k_and_mrr() -> None:
    rs = [
        record(qid="1", retrieved=[("a", "Syrian insurgents guarded bases")] + [("b", "x")] * 9),
        record(qid="2", retrieved=[("b", "nothing")] * 4 + [("a", "the Syrian insurgents")] + [("b", "y")] * 5),
        record(qid="3", retrieved=[("b", "nothing here")] * 10),
        record(qid="4", answerable=False, answers=(), retrieved=[]),  # skipped
    ]
    r = RetrievalEvaluator().evaluate(rs)
    assert r.n == 3
    assert r["answer@1"] == pytest.approx(1 / 3)
    assert r["answer@5"] == pytest.approx(2 / 3) and r["answer@10"] == pytest.approx(2 / 3)
    assert r["article@1"] == pytest.approx(1 / 3) and r["article@5"] == pytest.approx(2 / 3)
    assert r["mrr"] == pytest.approx((1 + 1 / 5 + 0) / 3)
    assert [f["id"] for f in r.failures] == ["3"]
