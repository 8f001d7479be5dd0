"""Turn a suite's records into results (overall and per category), then write them as JSON,
Markdown and PNG plots, and print a summary table."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from .base import EvaluationResult, Evaluator
from .normalize import contains_answer
from .records import Record

ALL = "all"


class SuiteReport(BaseModel):
    suite: str
    created: str
    command: str = ""
    settings: dict[str, Any] = Field(default_factory=dict)
    n_questions: int
    groups: dict[str, list[EvaluationResult]]  # "all" plus one per category, if several
    gate: list[str] | None = None  # gate failures; None when the suite has no gate
    judge: dict[str, float] | None = None  # the support judge's own precision/recall
    questions: list[dict[str, Any]] = Field(default_factory=list)

    def flat(self, group: str = ALL) -> dict[str, float]:
        """ "evaluator.metric" -> value, for the gate and for tables."""
        return {f"{r.name}.{k}": v for r in self.groups[group] for k, v in r.metrics.items()}


def evaluate(records: Sequence[Record], evaluators: Sequence[Evaluator]) -> dict[str, list[EvaluationResult]]:
    groups: dict[str, list[Record]] = {ALL: list(records)}
    cats = sorted({r.question.category for r in records if r.question.category})
    if len(cats) > 1:
        for c in cats:
            groups[c] = [r for r in records if r.question.category == c]
    return {g: [e.evaluate(rs) for e in evaluators] for g, rs in groups.items()}


def question_rows(records: Sequence[Record]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.question.id,
            "category": r.question.category,
            "question": r.question.question,
            "gold": r.question.answers[:3],
            "answerable": r.question.answerable,
            "answer": r.answer.answer,
            "short_answer": r.answer.short_answer,
            "refused": r.answer.refused,
            "support": round(r.answer.support, 4),
            "conflict": r.answer.conflict,
            "correct": (not r.answer.refused and contains_answer(r.answer.answer, r.question.answers))
            if r.question.answerable
            else r.answer.refused,
            "citations": [c.article_id for c in r.answer.citations],
            "latency_ms": round(r.latency_ms, 1),
            "backend": r.answer.backend,
            "generated": r.answer.generated,
            "removed": r.answer.removed,
        }
        for r in records
    ]


def build(
    suite: str,
    records: Sequence[Record],
    evaluators: Sequence[Evaluator],
    *,
    command: str = "",
    settings: dict[str, Any] | None = None,
) -> SuiteReport:
    return SuiteReport(
        suite=suite,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        command=command,
        settings=settings or {},
        n_questions=len(records),
        groups=evaluate(records, evaluators),
        questions=question_rows(records),
    )


# --- writing -----------------------------------------------------------------------------
def _fmt(key: str, v: float) -> str:
    return f"{v:.0f}" if key.endswith("_ms") else f"{v:.3f}"


def table_rows(report: SuiteReport) -> tuple[list[str], list[list[str]]]:
    """Metric rows, one column per group."""
    groups = list(report.groups)
    keys = list(dict.fromkeys(k for g in groups for k in report.flat(g)))
    rows = [[k] + [_fmt(k, report.flat(g)[k]) if k in report.flat(g) else "" for g in groups] for k in keys]
    counts = ["n (questions)"] + [str(max((r.n for r in report.groups[g]), default=0)) for g in groups]
    return ["metric", *groups], [counts, *rows]


def markdown(report: SuiteReport) -> str:
    head, rows = table_rows(report)
    lines = [f"# Eval report: {report.suite}", "", f"- created: {report.created}", f"- questions: {report.n_questions}"]
    if report.command:
        lines.append(f"- command: `{report.command}`")
    lines += [f"- {k}: {v}" for k, v in report.settings.items()]
    if report.gate is not None:
        lines.append(f"- gate: {'PASSED' if not report.gate else 'FAILED: ' + '; '.join(report.gate)}")
    lines += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    if report.judge:
        lines += [
            "",
            "## Support judge on the labelled claims",
            "",
            *[f"- {k}: {v:.3f}" for k, v in report.judge.items()],
        ]
    lines += [
        "",
        "## Plots",
        "",
        "![accuracy by k](accuracy_by_k.png)",
        "![refusal vs threshold](refusal_vs_threshold.png)",
        "![latency](latency.png)",
        "",
        "## Failures (first 40)",
        "",
    ]
    for g in report.groups[ALL]:
        for f in g.failures[:40]:
            lines.append(f"- {g.name}: " + ", ".join(f"{k}={v}" for k, v in f.items()))
    return "\n".join(lines) + "\n"


def sweep(support: np.ndarray, mask: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Share of the masked questions refused (support < t) at each threshold."""
    s = support[mask]
    return np.array([(s < t).mean() if len(s) else np.nan for t in thresholds])


def plots(report: SuiteReport, folder: Path, threshold: float | None = None) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: list[Path] = []
    # accuracy by k
    fig, ax = plt.subplots(figsize=(6, 4))
    for g in report.groups:
        flat = report.flat(g)
        ks = sorted(int(k.split("@")[1]) for k in flat if k.startswith("retrieval.answer@"))
        if ks:
            ax.plot(ks, [flat[f"retrieval.answer@{k}"] for k in ks], marker="o", label=f"{g}: answer in top k")
        if f"retrieval.article@{ks[0] if ks else 1}" in flat:
            ax.plot(
                ks,
                [flat[f"retrieval.article@{k}"] for k in ks],
                marker="s",
                ls="--",
                label=f"{g}: gold article in top k",
            )
    ax.set(xlabel="k (chunks)", ylabel="share of questions", ylim=(0, 1.05), title=f"{report.suite}: retrieval by k")
    ax.legend(fontsize=7)
    out.append(folder / "accuracy_by_k.png")
    fig.tight_layout()
    fig.savefig(out[-1], dpi=110)
    plt.close(fig)
    # refusal vs threshold
    qs = report.questions
    support = np.array([q["support"] for q in qs], dtype=float)
    answerable = np.array([q["answerable"] for q in qs], dtype=bool)
    ts = np.linspace(0, 1, 201)
    fig, ax = plt.subplots(figsize=(6, 4))
    if (~answerable).any():
        ax.plot(ts, sweep(support, ~answerable, ts), label="refusal rate (unanswerable)")
    if answerable.any():
        ax.plot(ts, sweep(support, answerable, ts), label="false-refusal rate (answerable)")
    if threshold is not None:
        ax.axvline(threshold, color="grey", ls=":", label=f"refusal_threshold = {threshold:.3f}")
    ax.set(
        xlabel="refusal threshold on answer.support",
        ylabel="rate",
        ylim=(0, 1.05),
        title=f"{report.suite}: refusal vs threshold",
    )
    ax.legend(fontsize=7)
    out.append(folder / "refusal_vs_threshold.png")
    fig.tight_layout()
    fig.savefig(out[-1], dpi=110)
    plt.close(fig)
    # latency histogram
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist([q["latency_ms"] for q in qs], bins=30)
    ax.set(xlabel="latency per question (ms)", ylabel="questions", title=f"{report.suite}: latency")
    out.append(folder / "latency.png")
    fig.tight_layout()
    fig.savefig(out[-1], dpi=110)
    plt.close(fig)
    return out


def write(report: SuiteReport, folder: Path, threshold: float | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report.model_dump(mode="json"), indent=1, ensure_ascii=False))
    (folder / "report.md").write_text(markdown(report))
    return [folder / "report.json", folder / "report.md", *plots(report, folder, threshold)]


def print_table(report: SuiteReport) -> None:
    from rich.console import Console
    from rich.table import Table

    head, rows = table_rows(report)
    table = Table(title=f"rag eval --suite {report.suite}")
    for i, h in enumerate(head):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        table.add_row(*r)
    # wide enough for every group column even when stdout is not a terminal (CI logs)
    Console(width=max(Console().width, 44 + 16 * (len(head) - 1))).print(table)
