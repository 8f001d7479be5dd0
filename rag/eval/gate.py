"""The regression gate: bounds on metrics, all kept in `rag/eval/thresholds.toml`."""

from __future__ import annotations

import tomllib
from pathlib import Path

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.toml"


def load(suite: str, path: Path = THRESHOLDS, *, backend: str = "extractive") -> dict[str, dict[str, float]] | None:
    """{"min": {...}, "max": {...}} for the suite, or None when it has no gate. The suites' bounds
    are the extractive answerer's; a generating backend is held to the `generated` bounds on
    every suite (what its verification promises, whatever the model)."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    return data.get("generated") if backend != "extractive" else data.get(suite)


def check(metrics: dict[str, float], bounds: dict[str, dict[str, float]]) -> list[str]:
    """Every broken bound, as text; an empty list means the gate passes. A metric the run
    didn't produce fails too: a gate that silently skips can't catch anything."""
    fails = []
    for kind, op in (("min", "<"), ("max", ">")):
        for key, bound in bounds.get(kind, {}).items():
            v = metrics.get(key)
            if v is None:
                fails.append(f"{key} missing")
            elif (v < bound) if kind == "min" else (v > bound):
                fails.append(f"{key} = {v:.3f} {op} {bound}")
    return fails
