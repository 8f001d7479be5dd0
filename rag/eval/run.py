"""`rag eval`: run one suite, score it, write the report folder, apply the gate."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag import RagConfig

from . import gate, judge_check, report, suites
from .metrics import default_evaluators


@dataclass(frozen=True)
class SuiteRun:
    report: report.SuiteReport
    folder: Path
    files: list[Path]


def default_folder(suite: str) -> Path:
    return Path("reports") / f"{suite}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"


def run_suite(
    suite: str,
    *,
    folder: Path | None = None,
    config: RagConfig | None = None,
    store: Path | None = None,
    questions: Path | None = None,
    limit: int | None = None,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> SuiteRun:
    if suite not in suites.SUITES:
        raise ValueError(f"unknown suite {suite!r}: choose from {', '.join(suites.SUITES)}")
    cfg = config or RagConfig()
    folder = folder or default_folder(suite)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".work-") as work:
        records = suites.SUITES[suite](
            Path(work), config=cfg, store=store, questions=questions, limit=limit, progress=progress, say=say
        )
    settings = {
        "backend": cfg.backend,
        **({"llm_model": cfg.llm_model or "(default)"} if cfg.backend != "extractive" else {}),
        "refusal_threshold": cfg.refusal_threshold,
        "top_k": cfg.top_k,
        "store": str(store) if store else "(built for this run)",
        "limit": limit,
        "questions": str(questions) if questions else "(default)",
    }
    rep = report.build(
        suite,
        records,
        default_evaluators(),
        command=shlex.join(["rag", "eval", *sys.argv[2:]]) if sys.argv[1:2] == ["eval"] else "",
        settings=settings,
    )
    rep.judge = judge_check.measure().summary()
    bounds = gate.load(suite, backend=cfg.backend)
    if bounds is not None:
        rep.gate = gate.check(rep.flat(), bounds)
    return SuiteRun(rep, folder, report.write(rep, folder, cfg.refusal_threshold))


# What `rag eval --suite news-years` puts side by side: the answer a user reads, per year.
YEAR_METRICS: tuple[str, ...] = (
    "retrieval.answer@5",
    "retrieval.answer@10",
    "short_answer.exact_match",
    "short_answer.f1",
    "short_answer.coverage",
    "short_answer.precision",
    "short_answer.accuracy_at_1",
    "short_answer.accuracy_at_2",
    "short_answer.accuracy_at_3",
    "short_answer.median_answer_words",
    "refusal.false_refusal_rate",
    "latency.p50_ms",
    "latency.p95_ms",
)


def run_years(
    stores: Path,
    *,
    folder: Path | None = None,
    config: RagConfig | None = None,
    limit: int | None = None,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> tuple[list[str], list[list[str]]]:
    """The news suite on every benchmark year that has a store in `stores` (`stores/news-YYYY`),
    each year's questions asked of its own store; a report folder per year. Returns the table of
    `YEAR_METRICS`, one column per year."""
    from . import datasets

    years = {y: d for y, d in datasets.NEWS_YEARS.items() if (stores / y).is_dir()}
    if not years:
        raise ValueError(f"no year's store in {stores} (expected folders named {', '.join(datasets.NEWS_YEARS)})")
    folder = folder or default_folder("news-years")
    flat = {}
    for y, data in years.items():
        say(f"{y}: {stores / y}")
        run = run_suite(
            "news", folder=folder / y, config=config, store=stores / y, questions=data / "questions.jsonl",
            limit=limit, progress=progress, say=say,
        )  # fmt: skip
        flat[y] = run.report.flat()
    rows = [[m] + [f"{flat[y][m]:.3f}" if m in flat[y] else "-" for y in years] for m in YEAR_METRICS]
    return ["metric", *years], rows
