"""The span ranker's training, end to end on a slice of the 2023 benchmark: a real store of the
articles a dozen questions came with, collect, then the held-out fit."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from rag.answerers.logistic import LogisticModel
from rag.answerers.spans import SPAN_FEATURES
from rag.eval import datasets
from rag.eval.train_spans import RULES, collect, fit, lengths
from year_slice import year_slice

YEAR = datasets.DATA / "news-2023"
pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(not (YEAR / "questions.jsonl").exists(), reason=datasets.data_missing(YEAR)),
]


def test_collect_then_fit_writes_a_model_and_held_out_figures(tmp_path: Path) -> None:
    questions = year_slice(YEAR, tmp_path / "store", 12)
    collect(tmp_path / "store", questions, "news-2023", tmp_path / "spans")
    with gzip.open(tmp_path / "spans" / "news-2023.json.gz", "rt") as f:
        texts = json.load(f)
    assert len(texts) == 12 and all(len(t["articles"]) == len(t["sentences"]) for t in texts)

    report = fit(tmp_path / "spans", tmp_path / "span_model.json", None)
    LogisticModel.from_json(json.loads((tmp_path / "span_model.json").read_text()), SPAN_FEATURES)
    row = next(line for line in report.splitlines() if line.startswith("| news-2023 |"))
    assert row.split("|")[2].strip() == "12"  # every answerable question scored, held out

    # accuracy against answer length: a row per rule, one sentence the shortest, the shipped rule marked
    table = lengths(tmp_path / "spans", None)
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == len(RULES) + 1 and sum("(shipped)" in r for r in rows) == 1
    words = [int(r.split("|")[3].split("/")[1]) for r in rows]
    assert words[0] == min(words)
    chosen = table.split("chosen on the other two")[-1]
    assert "| news-2023 | at most " in chosen
