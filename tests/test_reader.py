"""The learned sentence reader: features, the shipped model, and its reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hash_embedder import HashEmbedder
from rag import Article, Passage
from rag.answerers.logistic import LogisticModel
from rag.answerers.reader import FEATURES, MODEL_PATH, SentenceVectors, features, load_model, pool
from rag.eval.train_reader import DATA_PATH, YEARS_DIR, Table, fit_model, fold_of, with_years
from rag.store.keyword_index import KeywordIndex

ART = Article(
    id="a",
    title="Bridge opens",
    text=(
        "The mayor opened a bridge on Monday. The bridge cost 12 million dollars to build. "
        "Residents were happy. Is it safe? The mayor opened a bridge on Monday, officials said."
    ),
)
PASSAGES = [
    Passage(article=ART, start=0, end=len(ART.text), rank=0, score=1.0),
    Passage(article=ART, start=37, end=len(ART.text), rank=1, score=0.5),
]  # overlaps the first


def idf() -> KeywordIndex:
    return KeywordIndex.build([("c1", ART.text, 0, "", "a")])


def test_pool_holds_each_quotable_sentence_once_with_exact_offsets() -> None:
    sents = pool(PASSAGES)
    texts = [s.text for s in sents]
    assert len(texts) == len(set(texts)) == 3  # no duplicates from the overlap
    assert "Residents were happy." not in texts and "Is it safe?" not in texts  # too short / a question
    assert all(ART.text[s.start : s.end] == s.text for s in sents)


def test_features_say_what_the_question_wants() -> None:
    sents = pool(PASSAGES)
    dense = np.linspace(0.2, 0.6, len(sents))
    x = features("How much did the bridge cost?", sents, dense, idf().idf)
    assert x.shape == (len(sents), len(FEATURES)) and x.dtype == np.float32
    col = {f: i for i, f in enumerate(FEATURES)}
    cost = [s.text for s in sents].index("The bridge cost 12 million dollars to build.")
    assert x[cost, col["typed_new"]] == 1.0 and x[:, col["kind_number"]].all()
    assert x[cost, col["lexical"]] == x[:, col["lexical"]].max()
    assert x[:, col["dense_gap"]].max() == 0.0 and x[:, col["dense_rank"]].max() == 1.0


def test_shipped_model_ranks_the_answer_first() -> None:
    sents = pool(PASSAGES)
    x = features("How much did the bridge cost?", sents, np.full(len(sents), 0.5), idf().idf)
    p = load_model().proba(x)
    assert ((p > 0) & (p < 1)).all()
    assert sents[int(np.argmax(p))].text == "The bridge cost 12 million dollars to build."


def test_a_model_for_other_features_is_refused() -> None:
    data = json.loads(MODEL_PATH.read_text())
    data["features"] = data["features"][:-1]
    with pytest.raises(ValueError, match="train_reader"):
        LogisticModel.from_json(data, FEATURES)


def test_retraining_on_the_shipped_data_reproduces_the_shipped_model() -> None:
    t = with_years(Table.load(DATA_PATH), YEARS_DIR)
    assert {"news", "news-2023", "news-2024"} <= set(t.q_set)  # three years of news
    train = fold_of(t.q_group)[t.q] >= 0
    assert not train[t.q_set[t.q] == "seeds"].any()  # the seed set is never trained on
    refit = fit_model(t.x[train], t.y[train]).to_json()
    shipped = json.loads(MODEL_PATH.read_text())
    assert refit["features"] == shipped["features"]
    for key in ("mean", "scale", "coef"):
        np.testing.assert_allclose(refit[key], shipped[key], atol=1e-4)
    assert abs(refit["intercept"] - shipped["intercept"]) < 1e-4


def test_folds_keep_a_news_week_together() -> None:
    t = Table.load(DATA_PATH)
    folds = fold_of(t.q_group)
    for g in set(t.q_group):
        assert len(set(folds[t.q_group == g])) == 1
    assert set(folds[t.q_set == "news"]) == set(range(6))


def test_sentence_vectors_remember_by_text_within_capacity(fake_embedder: HashEmbedder) -> None:
    embedder = fake_embedder
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return embedder.embed(texts)

    vectors = SentenceVectors(embed, capacity=2)
    a, b, c = "The bridge cost 12 million dollars.", "The mayor opened it.", "Residents were happy."
    got, fresh = vectors([a, b], ["How much did it cost?"])
    np.testing.assert_allclose(got, embedder.embed([a, b]), atol=1e-5)
    assert fresh.shape == (1, got.shape[1]) and calls == [["How much did it cost?", a, b]]
    again, _ = vectors([b, a])  # remembered: no model call
    assert len(calls) == 1 and np.allclose(again, got[::-1])
    vectors([c])  # over capacity: the least recently used (b) goes
    vectors([b])
    assert calls[-1] == [b]


def test_features_are_built_by_name_and_a_model_of_another_column_order_is_refused() -> None:
    import json
    import random

    from rag.answerers.logistic import LogisticModel
    from rag.answerers.reader import FEATURES, MODEL_PATH, POOL_FEATURES, ROW_FEATURES

    assert sorted(ROW_FEATURES + POOL_FEATURES) == sorted(FEATURES)
    data = json.loads(MODEL_PATH.read_text())
    LogisticModel.from_json(data, FEATURES)  # the shipped model has the code's column order
    shuffled = list(FEATURES)
    random.Random(0).shuffle(shuffled)
    with pytest.raises(ValueError, match="fitted for other features"):
        LogisticModel.from_json({**data, "features": shuffled}, FEATURES)
