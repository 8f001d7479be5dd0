"""Tune retrieval fusion and recency on data, week-grouped cross-validated.

Questions of one week share articles, so settings are chosen on all weeks but one and scored
on the one left out, in turn; the held-out answer-in-top-5 is what to report. Each question's
dense and keyword candidates are fetched once; every grid point only re-fuses them.

    python -m rag.eval.tune_retrieval --store DIR [--out rag/eval/results/retrieval.md]
    python -m rag.eval.tune_retrieval --years DIR   # DIR/news-YYYY stores: fit on two, score the third
"""

from __future__ import annotations

import argparse
import itertools
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


def week_hits(store: Path, questions: Path, configs: list[RagConfig]) -> tuple[list[dict[str, int]], int]:
    """(hits[config index][week]: the store's questions of that week with the answer in the top 5,
    the number of questions). Each question's dense and keyword candidates are fetched once; every
    config only re-fuses them."""
    qs = datasets.news_questions(questions)
    with Engine(config=configs[0].model_copy(update={"store": store})) as eng:
        pool = max(GRID["candidates"])
        cands: list[tuple[list[Hit], list[Hit]]] = []
        for q in qs:
            vec = eng.embedder.embed([q.question])[0]
            cands.append(eng.retriever.candidates(q.question, vec, int(pool), q.filters, q.as_of))
        ids = {h.chunk_id for d, k in cands for h in d + k}
        text = {cid: p.text for cid, p in zip(sorted(ids), eng.passages([(c, 0.0) for c in sorted(ids)]), strict=True)}
        hits: list[dict[str, int]] = []
        for cfg in configs:
            per_week = {str(q.as_of): 0 for q in qs}
            for q, (dense, keyword) in zip(qs, cands, strict=True):
                top = eng.retriever.fuse(dense, keyword, k=TOP_K, as_of=q.as_of, config=cfg)
                per_week[str(q.as_of)] += any(contains_answer(text[h.chunk_id], q.answers) for h in top)
            hits.append(per_week)
    return hits, len(qs)


def one_store(store: Path) -> str:
    """Week-grouped: settings chosen on all weeks but one, scored on that one, in turn."""
    base = RagConfig(store=store)
    configs = [base, *grid_configs(base)]
    hits, n = week_hits(store, datasets.NEWS_QUESTIONS, configs)
    weeks = sorted(hits[0])
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
    return "\n".join(lines)


def across_years(stores: Path, questions: dict[str, Path] | None = None) -> str:
    """Cross-year: for every year with a store in `stores` (`news-YYYY`), settings chosen on the
    other years, scored on it; beside the current settings and keyword search + recency alone.
    `questions`: a question file per year (default: the benchmark's)."""
    base = RagConfig()
    keyword = base.model_copy(update={"dense_weight": 0.0})  # BM25 with the same recency boost
    configs = [base, keyword, *grid_configs(base)]
    files = questions or {y: d / "questions.jsonl" for y, d in datasets.NEWS_YEARS.items()}
    years = {y: f for y, f in files.items() if (stores / y).is_dir()}
    if len(years) < 2:
        raise SystemExit(f"--years needs stores of two years or more in {stores}")
    total: dict[str, list[int]] = {}
    sizes: dict[str, int] = {}
    for y, file in years.items():
        hits, sizes[y] = week_hits(stores / y, file, configs)
        total[y] = [sum(h.values()) for h in hits]
    grid = range(2, len(configs))

    def share(y: str, i: int) -> float:
        return total[y][i] / sizes[y]

    lines = [
        "# Retrieval fusion and recency across years (answer in the top 5 chunks)",
        "",
        f"- command: `python -m rag.eval.tune_retrieval --years DIR` (DIR/news-YYYY: each year's store); "
        f"{len(configs) - 2} settings, each year scored by the settings best on the mean of the others",
        f"- grid: {', '.join(f'{k} {v}' for k, v in GRID.items())}",
        "",
        "| held-out year | questions | keyword + recency | current settings | chosen on the other years | chosen |",
        "|---|---|---|---|---|---|",
    ]
    for y in years:
        best = max(grid, key=lambda i: sum(share(o, i) for o in years if o != y))
        lines.append(
            f"| {y} | {sizes[y]} | {share(y, 1):.3f} | {share(y, 0):.3f} | **{share(y, best):.3f}** | "
            f"{describe(configs[best])} |"
        )
    best_all = max(grid, key=lambda i: sum(share(y, i) for y in years))
    lines += ["", f"Best on every year together: {describe(configs[best_all])}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m rag.eval.tune_retrieval", description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--store", type=Path, help="a store of the whole 2022 news corpus (week-grouped)")
    where.add_argument("--years", type=Path, help="a folder of news-YYYY stores (cross-year)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.years:
        text, out = across_years(args.years), args.out or Path("rag/eval/results/retrieval-years.md")
    else:
        text, out = one_store(args.store), args.out or Path("rag/eval/results/retrieval.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
