import numpy as np
import pytest

from eval.calibrate import Points, balanced_accuracy, choose, plot


def test_choose_separates_the_classes_at_the_middle_of_the_gap() -> None:
    p = Points(name="x", answerable=[0.6, 0.7, 0.8], unanswerable=[0.2, 0.3, 0.4])
    t = choose([p])
    assert 0.4 < t <= 0.6 and t == pytest.approx(0.5, abs=0.01)
    refusal, false_refusal = p.rates(np.array([t]))
    assert refusal[0] == 1.0 and false_refusal[0] == 0.0


def test_each_dataset_counts_the_same() -> None:
    big = Points(name="big", answerable=[0.5] * 100, unanswerable=[0.3] * 100)
    small = Points(name="small", answerable=[0.7], unanswerable=[0.6])
    # 200 questions or 2: getting either dataset right is worth the same
    ba = balanced_accuracy([big, small], np.array([0.45, 0.55, 0.65]))
    assert ba.tolist() == pytest.approx([0.75, 0.5, 0.75])
    # pooled, the big dataset would have decided alone; here the wider plateau wins
    assert 0.3 < choose([big, small]) <= 0.5


def test_answerable_only_dataset_is_reported_not_optimised(tmp_path) -> None:  # type: ignore[no-untyped-def]
    news = Points(name="news", answerable=[0.1, 0.9], unanswerable=[])
    with pytest.raises(ValueError):
        choose([news])
    both = Points(name="x", answerable=[0.8], unanswerable=[0.2])
    assert choose([both, news]) == choose([both])
    plot([both, news], 0.5, 0.4, tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
