"""The fitted reader's figures, all from held-out probabilities: where right answers are lost,
the refusal threshold and the runner-up sentence."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from rag.answerers.reader import FEATURES, coverage

if TYPE_CHECKING:
    from rag.answerers.logistic import LogisticModel

    from .train_reader import Table

MAX_FALSE_REFUSAL = 0.07  # on answerable questions; the bound
# The runner-up tables' reference rule, the one shipped before; the answerer's own rule
# (RagConfig.max_answer_sentences / second_sentence_ratio) was chosen against the others at their
# length in rag/eval/results/answer-length.md (`python -m rag.eval.train_spans lengths`).
RATIO = 0.25
MAX_SENTENCES = 3


class Ranked:
    """Per question: its candidate rows ordered by probability, best first."""

    def __init__(self, t: Table, probs: np.ndarray) -> None:
        self.t, self.probs = t, probs
        order = np.lexsort((-probs, t.q))
        qs = t.q[order]
        starts = np.searchsorted(qs, np.arange(len(t.q_id)))
        ends = np.searchsorted(qs, np.arange(len(t.q_id)), side="right")
        self.rows = [order[s:e] for s, e in zip(starts, ends, strict=True)]
        self.refused = np.zeros(len(t.q_id), dtype=bool)

    def top_p(self, qi: int, i: int = 0) -> float:
        r = self.rows[qi]
        return float(self.probs[r[i]]) if len(r) > i else 0.0

    def holds(self, qi: int, n: int) -> bool:
        return bool(self.t.y[self.rows[qi][:n]].any())

    def answered_right(self, qi: int, ratio: float, max_sentences: int = MAX_SENTENCES) -> bool:
        """As the answerer does it: refuse where `refused`, else the best sentence plus runners-up
        with at least `ratio` of its probability (near-duplicates aside)."""
        r = self.rows[qi]
        if not len(r) or self.refused[qi]:
            return False
        kept = [r[0]] + [i for i in r[1:max_sentences] if self.probs[i] >= ratio * self.probs[r[0]]]
        return bool(self.t.y[kept].any())


def choose_refusal(
    t: Table, best_p: np.ndarray, best_cover: np.ndarray, answerable: dict[str, list[int]], ids: dict[str, list[int]]
) -> tuple[float, float]:
    """(probability threshold, coverage threshold): see `report`. Ties: the lowest of both."""
    # every news year counts: a bound met on 2022 alone refused 10% of 2023's answerable questions
    bounded = [s for s in answerable if s.startswith("news") or s in ("rgb-noise", "seeds")]
    rgb_answerable = answerable["rgb-noise"] + answerable.get("rgb-counterfactual", [])
    best: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    for tp in np.round(np.arange(0.0, 0.5, 0.01), 3):
        for tc in np.round(np.arange(0.0, 0.7, 0.01), 3):
            refuse = (best_p < tp) | (best_cover < tc)
            if max(_mean([refuse[i] for i in answerable[s]]) for s in bounded) > MAX_FALSE_REFUSAL:
                continue
            bas = []
            for pos, neg in (
                (rgb_answerable, ids["rgb-negative"]),
                (answerable["seeds"], [i for i in ids["seeds"] if not t.q_answerable[i]]),
            ):
                bas.append((_mean([refuse[i] for i in neg]) + 1 - _mean([refuse[i] for i in pos])) / 2)
            if float(np.mean(bas)) > best[0] + 1e-9:
                best = (float(np.mean(bas)), float(tp), float(tc))
    return best[1], best[2]


def _mean(xs: list[bool] | list[float]) -> float:
    return float(np.mean(xs)) if len(xs) else float("nan")


def report(t: Table, probs: np.ndarray, model: LogisticModel) -> str:
    rk = Ranked(t, probs)
    sets = sorted(set(t.q_set))
    ids = {s: [i for i in range(len(t.q_id)) if t.q_set[i] == s] for s in sets}
    answerable = {s: [i for i in ids[s] if t.q_answerable[i]] for s in sets}

    # Refusal: under `threshold` (the best sentence's probability) or under `min_cover` (the best
    # coverage of the pool); the pair with the best mean balanced accuracy over RGB and the seed
    # set among those keeping false refusal within bounds on every answerable set.
    best_p = np.array([rk.top_p(i) for i in range(len(t.q_id))])
    best_cover = np.array([coverage(t.x[r]).max() if len(r) else 0.0 for r in rk.rows])
    threshold, min_cover = choose_refusal(t, best_p, best_cover, answerable, ids)
    refuse = (best_p < threshold) | (best_cover < min_cover)
    rk.refused = refuse
    ratios = sorted({0.0, 0.25, 0.5, 0.75, 1.01, RATIO})
    acc = {(s, r): _mean([rk.answered_right(i, r) for i in answerable[s]]) for s in sets for r in ratios}

    out = [
        "# The sentence reader (held-out figures)",
        "",
        "Made by `python -m rag.eval.train_reader fit` from `rag/eval/reader_data.npz` (collected by "
        "`python -m rag.eval.train_reader collect --news-store DIR`, DIR a store of the whole 2022 news corpus) "
        "and the other years' tables in `rag/eval/reader_years/` (`python -m rag.eval.train_spans collect`: "
        "`news-YYYY` below). "
        "Every figure is of questions whose group (news week, RGB slice) the model did not see; "
        "the seed set is never trained on.",
        "",
        "## Where right answers are lost (answerable questions)",
        "",
        "| step | " + " | ".join(sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    steps: list[tuple[str, Callable[[int], float]]] = [
        ("questions", lambda i: 1.0),
        ("gold answer in the retrieved passages", lambda i: float(t.q_retrieved[i])),
        ("in some candidate sentence", lambda i: float(rk.holds(i, 10**6))),
    ]

    def in_top(n: int) -> Callable[[int], float]:
        return lambda i: float(rk.holds(i, n))

    steps += [(f"in the top-{n} sentence{'s' if n > 1 else ''}", in_top(n)) for n in (1, 2, 3, 5)]
    for name, fn in steps:
        vals = [len(answerable[s]) if name == "questions" else _mean([fn(i) for i in answerable[s]]) for s in sets]
        out.append(f"| {name} | " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in vals) + " |")
    out.append(
        f"| answer accuracy (refusal and runner-up rules below: up to {MAX_SENTENCES} sentences, ratio {RATIO}) | "
        + " | ".join(f"{acc[(s, RATIO)]:.3f}" for s in sets)
        + " |"
    )

    out += [
        "",
        "## Refusal",
        "",
        f"Refuse when the best sentence's probability is under **{threshold:.3f}** or no sentence covers "
        f"the question as much as **{min_cover:.3f}** (`rag.answerers.reader.coverage`): the pair with the best mean "
        f"balanced accuracy over RGB (noise + counterfactual vs. negative-only) and the seed set among pairs "
        f"with false refusal <= {MAX_FALSE_REFUSAL} on every news year, RGB noise and seeds.",
        "",
        "| set | refusal on unanswerable | false refusal on answerable |",
        "|---|---|---|",
    ]
    for s in sets:
        unans = [i for i in ids[s] if not t.q_answerable[i]]
        out.append(
            f"| {s} | {_mean([refuse[i] for i in unans]):.3f} | {_mean([refuse[i] for i in answerable[s]]):.3f} |"
        )

    out += [
        "",
        "## Runner-up sentence",
        "",
        f"Accuracy when up to {MAX_SENTENCES - 1} runners-up are added, each if its probability is at least "
        "`ratio` of the best's (1.01: never).",
        "",
        "| ratio | " + " | ".join(sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for r in ratios:
        out.append(f"| {r} | " + " | ".join(f"{acc[(s, r)]:.3f}" for s in sets) + " |")
    out += [
        "",
        f"Accuracy by the most sentences an answer may quote (ratio {RATIO}). The metric counts the gold "
        "answer anywhere in the answer, so more sentences never score lower, while each makes the answer "
        "longer to read (`answer-length.md` says how long).",
        "",
        "| at most | " + " | ".join(sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for n in (1, 2, 3, 4):
        cells = [f"{_mean([rk.answered_right(i, RATIO, n) for i in answerable[s]]):.3f}" for s in sets]
        out.append(f"| {n} | " + " | ".join(cells) + " |")

    out += ["", "## The model", "", "| feature | weight (standardised) |", "|---|---|"]
    out += [
        f"| {f} | {w:+.3f} |" for f, w in sorted(zip(FEATURES, model.coef, strict=True), key=lambda fw: -abs(fw[1]))
    ]
    out.append(f"| (intercept) | {model.intercept:+.3f} |")
    return "\n".join(out) + "\n"
