import pytest

from eval_helpers import cite, record
from rag.eval.metrics.faithfulness import FaithfulnessEvaluator


def test_share_of_supported_sentences() -> None:
    good = record(qid="good")
    half = record(
        qid="half",
        text="Kurdish fighters. RIA also said Syrian insurgents had guaranteed the "
        "security of Russian military bases. [1]",
    )
    uncited = record(qid="uncited", text="Syrian insurgents guarded the bases.")
    refused = record(qid="refused", refused=True)  # skipped
    r = FaithfulnessEvaluator().evaluate([good, half, uncited, refused])
    assert r.n == 3
    assert r["faithfulness"] == pytest.approx(3 / 5)
    assert r["answers_fully_supported"] == pytest.approx(1 / 3)
    assert {f["id"] for f in r.failures} == {"half", "uncited"}


def test_wrong_article_citation_is_unfaithful() -> None:
    c = cite(1, "a", "RIA also said Syrian insurgents had guaranteed the security of Russian military bases.")
    moved = c.model_copy(update={"article_id": "b"})  # same quote, attributed to another article
    r = FaithfulnessEvaluator().evaluate([record(citations=[moved])])
    assert r["faithfulness"] == 0.0
