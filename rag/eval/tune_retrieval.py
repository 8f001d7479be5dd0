"""Tune retrieval fusion and recency on data, week-grouped cross-validated.

Questions of one week share articles, so settings are chosen on all weeks but one and scored
on the one left out, in turn; the held-out answer-in-top-5 is what to report. Each question's
dense and keyword candidates are fetched once; every grid point only re-fuses them.

    python -m rag.eval.tune_retrieval --store DIR [--out rag/eval/results/retrieval.md]
"""

from __future__ import annotations

import argparse
import itertools
from collections import defaultdict
from pathlib import Path

from rag import Engine, Hit, RagConfig

from . import datasets
from .normalize import contains_answer

GRID: dict[str, list[float]] = {
    "dense_weight": [0.5, 0.7, 1.0],
    "rrf_k": [10, 30, 60],
    "recency_boost": [1.0, 2.0, 3.0],
    "recency_half_life_days": [3.5, 7.0],
    "recency_window_days": [14, 60],
    "candidates": [40, 100],
}
TOP_K = 5


def grid_configs(base: RagConfig) -> list[RagConfig]:
    names = list(GRID)
    return [
        base.model_copy(update=dict(zip(names, values, strict=True))) for values in itertools.product(*GRID.values())
    ]


def describe(cfg: RagConfig) -> str:
    return ", ".join(f"{n}={getattr(cfg, n)}" for n in GRID)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.eval.tune_retrieval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True, help="a store of the whole news corpus")
    ap.add_argument("--out", type=Path, default=Path("rag/eval/results/retrieval.md"))
    args = ap.parse_args(argv)
    base = RagConfig(store=args.store)
    qs = datasets.news_questions()
    with Engine(config=base) as eng:
        pool = max(GRID["candidates"])
        cands: list[tuple[list[Hit], list[Hit]]] = []
        for q in qs:
            vec = eng.embedder.embed([q.question])[0]
            cands.append(eng.retriever.candidates(q.question, vec, int(pool), q.filters, q.as_of))
        ids = {h.chunk_id for d, k in cands for h in d + k}
        text = {cid: p.text for cid, p in zip(sorted(ids), eng.passages([(c, 0.0) for c in sorted(ids)]), strict=True)}
        weeks = sorted({str(q.as_of) for q in qs})
        configs = [base, *grid_configs(base)]
        # hits[config index][week] = questions of that week with the answer in the top 5
        hits: list[dict[str, int]] = []
        for cfg in configs:
            per_week: dict[str, int] = defaultdict(int)
            for q, (dense, keyword) in zip(qs, cands, strict=True):
                top = eng.retriever.fuse(dense, keyword, k=TOP_K, as_of=q.as_of, config=cfg)
                per_week[str(q.as_of)] += any(contains_answer(text[h.chunk_id], q.answers) for h in top)
            hits.append(per_week)
    n = len(qs)
    total = [sum(h.values()) for h in hits]
    held_out = 0
    for w in weeks:  # choose on the other weeks, score this one
        best = max(range(1, len(configs)), key=lambda i: sum(v for ww, v in hits[i].items() if ww != w))
        held_out += hits[best][w]
    best_all = max(range(1, len(configs)), key=lambda i: total[i])
    lines = [
        "# Retrieval fusion and recency, tuned on data",
        "",
        f"- command: `python -m rag.eval.tune_retrieval --store DIR` (DIR: the whole news corpus); "
        f"{n} scored news questions, {len(weeks)} weeks, {len(configs) - 1} settings",
        f"- grid: {', '.join(f'{k} {v}' for k, v in GRID.items())}",
        "",
        "| settings | answer@5 |",
        "|---|---|",
        f"| the engine's current settings ({describe(base)}) | {total[0] / n:.3f} |",
        f"| best on all weeks ({describe(configs[best_all])}) | {total[best_all] / n:.3f} |",
        f"| **chosen on the other weeks, scored on the week left out** | **{held_out / n:.3f}** |",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
