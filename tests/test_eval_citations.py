import pytest

from eval_helpers import cite, record
from rag.eval.metrics.citations import CitationEvaluator

Q1 = "RIA also said Syrian insurgents had guaranteed the security of Russian military bases."
Q2 = "The war lasted nearly 14 years."
Q3 = "The storm made landfall near Fort Myers, Florida, on September 28, killing at least 100 people."


def test_alce_recall_and_precision() -> None:
    c1, c2, c3 = cite(1, "a", Q1), cite(2, "a", Q2), cite(3, "b", Q3)
    # one statement supported by [1]; [3] is irrelevant (alone no support, [1] suffices)
    over = record(qid="over", citations=[c1, c3], text=f"{Q1} [1][3]")
    r = CitationEvaluator().evaluate([over])
    assert r["citation_recall"] == 1.0 and r["citation_precision"] == pytest.approx(1 / 2)
    # a statement that needs both its citations: both count
    both = record(
        qid="both",
        citations=[c1, c2],
        text="Syrian insurgents had guaranteed the security of Russian military bases; "
        "the war lasted nearly 14 years. [1][2]",
    )
    r = CitationEvaluator().evaluate([both])
    assert r["citation_recall"] == 1.0 and r["citation_precision"] == 1.0
    # unsupported statement: recall and precision lose its citation
    wrong = record(qid="wrong", citations=[c1, c3], text=f"{Q1} [1] The storm killed 300 people. [3]")
    r = CitationEvaluator().evaluate([wrong])
    assert r["citation_recall"] == pytest.approx(1 / 2) and r["citation_precision"] == pytest.approx(1 / 2)
    # uncited statement: recall 0 for it
    r = CitationEvaluator().evaluate([record(qid="bare", citations=[c1], text=f"{Q1} [1] Extra claim here.")])
    assert r["citation_recall"] == pytest.approx(1 / 2)
