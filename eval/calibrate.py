"""Calibrate `RagConfig.refusal_threshold` on data instead of by eye.

The engine refuses when `answer.support` (the best sentence's score) is under the threshold,
so one run per question gives its support and the refusal decision at *every* threshold.
Datasets with both kinds of question:
  - seeds: the hand-written answerable vs. unanswerable questions over the seed article;
  - rgb:   each query over its positive + noise passages (answerable) vs. noise only (refuse).
Optionally news (`--news-store DIR`): answerable questions only, so it is reported (its
false-refusal rate), not optimised.

Criterion: the threshold maximising the mean over datasets of balanced accuracy,
  BA(t) = (refusal rate on unanswerable(t) + 1 - false-refusal rate on answerable(t)) / 2,
(Youden's J, shifted), so each dataset counts the same whatever its size and a missed refusal
costs as much as a false one. Ties: the middle of the best plateau.

    python -m eval.calibrate [--rgb-limit N] [--news-store DIR --news-limit N] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from rag.config import RagConfig

from . import suites
from .records import Record

GRID = np.round(np.arange(0.0, 1.0001, 0.005), 3)


class Points(BaseModel):
    """Support scores of one dataset's answerable and unanswerable questions."""

    name: str
    answerable: list[float]
    unanswerable: list[float]

    @classmethod
    def of(cls, name: str, records: list[Record]) -> Points:
        return cls(name=name, answerable=[r.answer.support for r in records if r.question.answerable],
                   unanswerable=[r.answer.support for r in records if not r.question.answerable])

    def rates(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(refusal rate on unanswerable, false-refusal rate on answerable) at each threshold."""
        def below(xs: list[float]) -> np.ndarray:
            a = np.asarray(xs, dtype=float)
            return (a[None, :] < t[:, None]).mean(axis=1) if len(a) else np.full(len(t), np.nan)
        return below(self.unanswerable), below(self.answerable)


def balanced_accuracy(points: list[Points], t: np.ndarray) -> np.ndarray:
    scores = []
    for p in points:
        refusal, false_refusal = p.rates(t)
        if not np.isnan(refusal).any() and not np.isnan(false_refusal).any():
            scores.append((refusal + 1 - false_refusal) / 2)
    if not scores:
        raise ValueError("calibration needs a dataset with both answerable and unanswerable questions")
    return np.mean(scores, axis=0)


def choose(points: list[Points], grid: np.ndarray = GRID) -> float:
    """The middle of the plateau of thresholds with the best mean balanced accuracy."""
    ba = balanced_accuracy(points, grid)
    best = np.flatnonzero(np.isclose(ba, ba.max()))
    # the longest run of consecutive best thresholds, then its middle
    runs = np.split(best, np.flatnonzero(np.diff(best) > 1) + 1)
    run = max(runs, key=len)
    return float(np.round(grid[run[len(run) // 2]], 3))


def table(points: list[Points], thresholds: list[float]) -> list[dict[str, object]]:
    rows = []
    t = np.asarray(thresholds, dtype=float)
    for p in points:
        refusal, false_refusal = p.rates(t)
        for i, th in enumerate(thresholds):
            rows.append({"dataset": p.name, "threshold": th, "n_answerable": len(p.answerable),
                         "n_unanswerable": len(p.unanswerable),
                         "refusal_rate": None if np.isnan(refusal[i]) else round(float(refusal[i]), 3),
                         "false_refusal_rate": round(float(false_refusal[i]), 3)})
    return rows


def plot(points: list[Points], chosen: float, old: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, p in enumerate(points):
        refusal, false_refusal = p.rates(GRID)
        color = f"C{i}"
        if not np.isnan(refusal).all():
            ax.plot(GRID, refusal, color=color, label=f"{p.name}: refusal rate (unanswerable, n={len(p.unanswerable)})")
        ax.plot(GRID, false_refusal, color=color, ls="--",
                label=f"{p.name}: false-refusal rate (answerable, n={len(p.answerable)})")
    ax.plot(GRID, balanced_accuracy(points, GRID), color="black", lw=2, label="mean balanced accuracy")
    ax.axvline(chosen, color="green", ls=":", label=f"chosen {chosen:.3f}")
    ax.axvline(old, color="grey", ls=":", label=f"previous {old:.2f}")
    ax.set(xlabel="refusal_threshold (refuse when answer.support < threshold)", ylabel="rate",
           xlim=(0, 1), ylim=(0, 1.02), title="Refusal calibration")
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rgb-limit", type=int, default=None, help="only the first N RGB queries")
    ap.add_argument("--news-store", type=Path, default=None, help="a store of the news corpus (reported only)")
    ap.add_argument("--news-limit", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="folder for calibration.{json,md,png}")
    args = ap.parse_args(argv)
    cfg = RagConfig()
    out = args.out or Path("reports") / f"calibration-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    points: list[Points] = []
    with tempfile.TemporaryDirectory(dir=out, prefix=".work-") as work:
        w = Path(work)
        points.append(Points.of("seeds", suites.seeds(w / "seeds", config=cfg)))
        points.append(Points.of("rgb", suites.rgb(w / "rgb", config=cfg, limit=args.rgb_limit,
                                                  conditions=("noise", "negative"))))
        if args.news_store:
            points.append(Points.of("news", suites.news(w / "news", config=cfg, store=args.news_store,
                                                        limit=args.news_limit)))
    chosen = choose(points)
    old = cfg.refusal_threshold
    rows = table(points, [old, chosen])
    ba = balanced_accuracy(points, np.array([old, chosen]))
    result = {"criterion": "max mean balanced accuracy over datasets with both classes",
              "chosen": chosen, "previous": old, "balanced_accuracy": {"previous": float(ba[0]), "chosen": float(ba[1])},
              "rows": rows, "points": [p.model_dump() for p in points]}
    (out / "calibration.json").write_text(json.dumps(result, indent=1))
    plot(points, chosen, old, out / "calibration.png")
    md = [f"# Refusal calibration\n\nCriterion: {result['criterion']}.\n",
          f"Chosen refusal_threshold: **{chosen:.3f}** (previous {old:.2f}); mean balanced accuracy "
          f"{ba[1]:.3f} (previous {ba[0]:.3f}).\n", "| dataset | threshold | answerable | unanswerable | "
          "refusal rate | false-refusal rate |", "|---|---|---|---|---|---|"]
    md += [f"| {r['dataset']} | {r['threshold']} | {r['n_answerable']} | {r['n_unanswerable']} | "
           f"{r['refusal_rate'] if r['refusal_rate'] is not None else '-'} | {r['false_refusal_rate']} |" for r in rows]
    (out / "calibration.md").write_text("\n".join(md) + "\n\n![curve](calibration.png)\n")
    print("\n".join(md))
    print(f"\nwrote {out}/calibration.json, calibration.md, calibration.png")


if __name__ == "__main__":
    main()
