"""The keyword analysis: its stop-word list is scikit-learn's, shipped (so that tokenizing does
not import scikit-learn), word for word: the keyword index and the fitted reader depend on it."""

from __future__ import annotations

import pytest

from rag.text.analyzer import ANALYZER_VERSION, stopwords, terms
from rag.text.stopwords import ENGLISH_STOP_WORDS


def test_the_shipped_list_is_scikit_learns() -> None:
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text", reason="scikit-learn (the eval extra)")
    assert sklearn_text.ENGLISH_STOP_WORDS == ENGLISH_STOP_WORDS
    assert len(ENGLISH_STOP_WORDS) == 318


def test_the_analyzer_drops_the_same_words_as_before() -> None:
    """Before: bm25s's list | scikit-learn's | a few verbs. bm25s's is inside scikit-learn's, so the
    analysis (and `ANALYZER_VERSION`, stored with every index) is unchanged."""
    bm25s_stopwords = pytest.importorskip("bm25s.stopwords")
    assert set(bm25s_stopwords.STOPWORDS_EN) <= ENGLISH_STOP_WORDS
    assert stopwords() == ENGLISH_STOP_WORDS | {"did", "does", "doing", "done", "said"}
    assert ANALYZER_VERSION.endswith("sk-stop-v1") or "sk-stop" in ANALYZER_VERSION
    assert terms("How much did the bridge cost, officials said?") == ["bridg", "cost", "offici"]
