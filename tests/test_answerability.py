"""Whether the passages answer at all: the question-level features, the shipped model, and its
reproducibility from the shipped feature table."""

from __future__ import annotations

import json

import numpy as np

from eval.train_reader import DATA_PATH, Table, answerable_rows, fit_model, fold_of, held_out_probs
from hash_embedder import HashEmbedder
from rag import Article, ExtractiveAnswerer, Passage, RagConfig, Retrieval
from rag.answerability import ANSWERABLE_FEATURES, MODEL_PATH, load_model, question_features
from rag.keyword_index import KeywordIndex
from rag.reader import FEATURES

COL = {f: i for i, f in enumerate(FEATURES)}


def rows(n: int, **values: float) -> np.ndarray:
    x = np.zeros((n, len(FEATURES)), dtype=np.float32)
    for name, v in values.items():
        x[:, COL[name]] = v
    return x


def test_features_read_the_whole_ranking() -> None:
    probs = np.array([0.6, 0.5, 0.2, 0.1, 0.1, 0.05])
    x = rows(6, dense=0.5, lexical=0.4, typed_new=1.0, kind_name=1.0)
    f = dict(zip(ANSWERABLE_FEATURES, question_features(probs, x, agree=2), strict=True))
    assert f["p_best"] == 0.6 and f["p_second"] == 0.5 and np.isclose(f["p_top5"], 1.5)
    assert f["likely"] == 2 and f["agree"] == 2 and f["typed_best"] == 1.0 and f["kind_name"] == 1.0
    assert np.isclose(f["cover_best"], 0.45)  # half dense, half lexical; the name is there
    one = question_features(probs[:1], x[:1], agree=0)  # a pool of one sentence
    assert one[ANSWERABLE_FEATURES.index("p_second")] == 0.0


def test_shipped_model_trusts_a_confident_agreeing_ranking_and_refuses_a_flat_one() -> None:
    model, threshold = load_model(), RagConfig().answerable_threshold
    on_topic = rows(5, dense=0.6, lexical=0.6, kind_name=1.0, typed_new=1.0, anchors=1.0, anchors_passage=1.0)
    # "Who ...?": the best sentences name someone new, and three of the next four name the same one
    sure = question_features(np.array([0.7, 0.6, 0.5, 0.3, 0.2]), on_topic, agree=3)
    # the same pool, on topic, but no sentence stands out and no two name the same one
    flat = question_features(np.array([0.15, 0.12, 0.1, 0.1, 0.08]), on_topic, agree=0)
    p = model.proba(np.stack([sure, flat]))
    assert p[0] > threshold > p[1]


def test_retraining_on_the_shipped_data_reproduces_the_shipped_model() -> None:
    t = Table.load(DATA_PATH)
    qs, x = answerable_rows(t, held_out_probs(t))
    keep = fold_of(t.q_group)[qs] >= 0
    assert not keep[t.q_set[qs] == "seeds"].any()  # the seed set is never trained on
    assert (~t.q_answerable[qs][keep]).sum() >= 50  # it has seen passages that lack the answer
    refit = fit_model(x[keep], t.q_answerable[qs][keep], ANSWERABLE_FEATURES).to_json()
    shipped = json.loads(MODEL_PATH.read_text())
    assert refit["features"] == shipped["features"]
    np.testing.assert_allclose(refit["coef"], shipped["coef"], atol=1e-4)
    assert abs(refit["intercept"] - shipped["intercept"]) < 1e-4


def test_the_answerer_refuses_when_the_ranking_says_the_answer_is_absent(fake_embedder: HashEmbedder) -> None:
    art = Article(id="a", title="T", text="The mayor opened a bridge on Monday. The bridge cost 12 million dollars.")
    q = "How much did the bridge cost?"
    r = Retrieval(
        question=q,
        query=q,
        query_vector=fake_embedder.embed([q])[0],
        passages=[Passage(article=art, start=0, end=len(art.text), rank=0, score=1.0)],
        idf=KeywordIndex.build([("c1", art.text, 0, "", "a")]).idf,
    )
    loose = RagConfig(refusal_threshold=0.0, min_coverage=0.0, answerable_threshold=0.0)
    ranked, answerable = ExtractiveAnswerer(fake_embedder, loose).read(r)
    assert ranked and 0.0 < answerable < 1.0
    assert not ExtractiveAnswerer(fake_embedder, loose).answer(r).refused
    strict = loose.model_copy(update={"answerable_threshold": answerable + 1e-6})
    assert ExtractiveAnswerer(fake_embedder, strict).answer(r).refused  # only the whole-ranking check refuses
