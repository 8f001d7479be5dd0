"""Retrieval tuning across years, end to end on two small slices of the benchmark: a real store
per year of the articles a few questions came with, then fit on one year, score the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.eval import datasets
from rag.eval.tune_retrieval import GRID, across_years
from year_slice import year_slice

YEARS = ("news-2023", "news-2024")
pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(
        not all((datasets.NEWS_YEARS[y] / "questions.jsonl").exists() for y in YEARS),
        reason=datasets.data_missing(datasets.NEWS_YEARS["news-2023"]),
    ),
]


def test_each_year_is_scored_by_settings_chosen_on_the_other(tmp_path: Path) -> None:
    files = {y: year_slice(datasets.NEWS_YEARS[y], tmp_path / y, 6) for y in YEARS}
    report = across_years(tmp_path, files)
    rows = {
        line.split("|")[1].strip(): line.split("|")[2:-1] for line in report.splitlines() if line.startswith("| news-")
    }
    assert set(rows) == set(YEARS)
    for cells in rows.values():
        assert cells[0].strip() == "6"  # every question scored
        shares = [float(c.strip().strip("*")) for c in cells[1:4]]
        assert all(0.0 <= v <= 1.0 for v in shares)
        assert all(name in cells[4] for name in GRID)  # the settings chosen are named


def test_one_year_is_not_enough(tmp_path: Path) -> None:
    (tmp_path / "news-2023").mkdir()
    with pytest.raises(SystemExit, match="two years"):
        across_years(tmp_path)
