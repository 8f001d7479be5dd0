"""Whether the retrieved passages answer the question at all, judged from the whole ranking.

The reader scores sentences one by one; a pool that is on topic but lacks the answer (RGB's
negative-only passages) still has a sentence that looks likely on its own. The ranking as a whole
tells more: how the probability mass is spread over the best five, how much of the question the
best sentences cover, whether they keep the question's names, and whether the best sentences'
short phrases agree. A logistic model over those (`answerable_model.json`, fitted by
`python -m eval.train_reader fit` on held-out reader probabilities) gives the probability that
the question is answered here; the extractive answerer refuses under `answerable_threshold`.

No feature tells the sets apart instead of the rankings: none counts the pool's sentences or passages
(RGB's negative-only pools are smaller by construction) or reads the titles (an RGB passage's title is
its question), since a model that learned those would not carry over to anyone's articles."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .logistic import LogisticModel, load_logistic
from .reader import FEATURES, coverage

MODEL_PATH = Path(__file__).with_name("answerable_model.json")
LIKELY = 0.3  # a sentence this probable counts as a likely answer

ANSWERABLE_FEATURES: tuple[str, ...] = (
    "p_best",
    "p_second",
    "p_top5",
    "likely",
    "cover_best",
    "dense_best",
    "lexical_best",
    "typed_best",
    "anchors_best",
    "anchors_passage_best",
    "agree",
    "kind_name",
    "kind_number",
    "kind_date",
    "year_clash_best",
)

_COL = {name: i for i, name in enumerate(FEATURES)}


def question_features(probs: np.ndarray, x: np.ndarray, agree: int) -> np.ndarray:
    """One row of `ANSWERABLE_FEATURES`. `probs`: the reader's probabilities, best first (at least
    one); `x`: the reader's feature rows in the same order; `agree`: how many of the next four
    sentences give the best sentence's short phrase."""
    best = x[0]
    return np.array(
        [
            probs[0],
            probs[1] if len(probs) > 1 else 0.0,
            probs[:5].sum(),
            (probs > LIKELY).sum(),
            coverage(x).max(),
            x[:, _COL["dense"]].max(),
            x[:, _COL["lexical"]].max(),
            best[_COL["typed_new"]],
            best[_COL["anchors"]],
            x[:, _COL["anchors_passage"]].max(),
            agree,
            best[_COL["kind_name"]],
            best[_COL["kind_number"]],
            best[_COL["kind_date"]],
            best[_COL["year_clash"]],
        ],
        dtype=np.float64,
    )


def load_model(path: Path = MODEL_PATH) -> LogisticModel:
    return load_logistic(path, ANSWERABLE_FEATURES)
