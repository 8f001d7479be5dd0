"""The field's metrics of the short answer (exact match, F1, coverage, precision) and accuracy
at a fixed number of quoted sentences."""

from __future__ import annotations

import pytest

from eval_helpers import cite, record
from rag.eval.metrics.short_answer import ShortAnswerEvaluator, f1
from rag.eval.records import Record

BASES = "RIA also said Syrian insurgents had guaranteed the security of Russian military bases."


def with_short(r: Record, short: str | None) -> Record:
    return r.model_copy(update={"answer": r.answer.model_copy(update={"short_answer": short})})


def test_squad_f1() -> None:
    assert f1("Syrian insurgents", "the Syrian insurgents") == 1.0
    assert f1("Syrian rebels", "Syrian insurgents") == pytest.approx(0.5)
    assert f1("", "x") == 0.0


def test_no_short_answer_scores_zero_and_a_wrong_one_lowers_precision() -> None:
    rows = [
        with_short(record(qid="right"), "Syrian insurgents"),
        with_short(record(qid="half"), "Syrian rebels"),
        with_short(record(qid="none"), None),
        with_short(record(qid="refused", refused=True), "Syrian insurgents"),  # a refusal shows none
    ]
    r = ShortAnswerEvaluator().evaluate(rows)
    assert r["exact_match"] == pytest.approx(1 / 4)
    assert r["f1"] == pytest.approx((1 + 0.5) / 4)
    assert r["coverage"] == pytest.approx(2 / 4) and r["precision"] == pytest.approx(1 / 2)


def test_accuracy_counts_only_the_first_k_sentences() -> None:
    # the planted fault: the gold answer only in the third quoted sentence
    first = "The war lasted nearly 14 years."
    second = "Syria's Bashar Assad has fled to Moscow after his ouster, Russian media said Sunday."
    cites = [cite(1, "a", first), cite(2, "a", second), cite(3, "a", BASES)]
    late = record(qid="late", citations=cites, text=" ".join(f"{c.quote} [{c.n}]" for c in cites))
    r = ShortAnswerEvaluator().evaluate([late, record(qid="early")])
    assert (r["accuracy_at_1"], r["accuracy_at_2"], r["accuracy_at_3"]) == (0.5, 0.5, 1.0)
    assert r["median_answer_words"] > 10
