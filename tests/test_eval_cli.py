"""`rag eval` end to end: the seeds gate (as CI runs it), a failing gate, and the data suites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.eval import datasets

runner = CliRunner()
FILES = {"report.json", "report.md", "accuracy_by_k.png", "refusal_vs_threshold.png", "latency.png"}


@pytest.mark.model
def test_seeds_suite_passes_its_gate(tmp_path: Path) -> None:
    res = runner.invoke(app, ["eval", "--suite", "seeds", "--report", str(tmp_path / "r"), "-q"])
    assert res.exit_code == 0, res.output
    assert "gate passed" in res.output and "accuracy.accuracy" in res.output
    assert {p.name for p in (tmp_path / "r").iterdir()} >= FILES
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["gate"] == [] and data["n_questions"] >= 28 and data["judge"]["judge_precision"] > 0.9


@pytest.mark.model
def test_gate_fails_when_answers_get_worse(tmp_path: Path) -> None:
    # Refusing nearly everything (a too-high threshold) must fail the gate, with exit code 1.
    res = runner.invoke(
        app,
        ["eval", "--suite", "seeds", "--limit", "4", "--report", str(tmp_path / "r"), "-q"],
        env={"RAG_REFUSAL_THRESHOLD": "0.95"},
    )
    assert res.exit_code == 1, res.output
    assert "gate FAILED" in res.output and "accuracy.accuracy" in res.output


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["eval", "--suite", "nope", "--report", str(tmp_path / "r")])
    assert res.exit_code == 2 and "unknown suite" in res.output
    res = runner.invoke(
        app,
        ["eval", "--suite", "news", "--questions", str(tmp_path / "missing.jsonl"), "--report", str(tmp_path / "r")],
    )
    assert res.exit_code == 2 and "not found" in res.output


def need_data() -> None:
    if not datasets.NEWS_ARTICLES.exists() or not datasets.RGB.exists():
        pytest.skip(datasets.data_missing(datasets.DATA))


@pytest.mark.slow
@pytest.mark.model
def test_rgb_suite_runs_end_to_end(tmp_path: Path) -> None:
    need_data()
    res = runner.invoke(app, ["eval", "--suite", "rgb", "--limit", "1", "--report", str(tmp_path / "r"), "-q"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert set(data["groups"]) == {"all", "noise", "negative", "counterfactual", "conflict"}
    assert data["gate"] is None and {p.name for p in (tmp_path / "r").iterdir()} >= FILES


@pytest.mark.slow
@pytest.mark.model
def test_news_suite_takes_any_questions_file(tmp_path: Path) -> None:
    need_data()
    rows = [json.loads(line) for line in datasets.NEWS_QUESTIONS.read_text().splitlines()[:3]]
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("\n".join(json.dumps(r) for r in rows))
    res = runner.invoke(
        app,
        ["eval", "--suite", "news", "--questions", str(qfile), "--limit", "2", "--report", str(tmp_path / "r"), "-q"],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["n_questions"] == 2 and {q["id"] for q in data["questions"]} == {r["id"] for r in rows[:2]}


def test_news_years_needs_a_folder_of_year_stores(tmp_path: Path) -> None:
    res = runner.invoke(app, ["eval", "--suite", "news-years", "-q"])
    assert res.exit_code != 0 and "--store DIR" in res.output
    res = runner.invoke(app, ["eval", "--suite", "news-years", "--store", str(tmp_path), "-q"])
    assert res.exit_code != 0 and "no year's store" in res.output


@pytest.mark.model
@pytest.mark.slow
def test_news_years_scores_each_year_on_its_own_store(tmp_path: Path) -> None:
    import gzip

    from rag import Article, Engine
    from rag.text.loaders import load_paths

    year = datasets.NEWS_YEARS["news-2023"]
    if not (year / "questions.jsonl").exists():
        pytest.skip(datasets.data_missing(year))
    rows = [json.loads(line) for line in (year / "questions.jsonl").read_text().splitlines() if line.strip()]
    wanted = {a for r in [r for r in rows if r.get("answer_in_corpus")][:3] for a in r["supporting_articles"]}
    with gzip.open(year / "articles.jsonl.gz", "rt") as f, (tmp_path / "a.jsonl").open("w") as out:
        out.writelines(line for line in f if json.loads(line)["id"] in wanted)
    with Engine(store=tmp_path / "stores" / "news-2023") as eng:
        eng.ingest_articles([a for a in load_paths([tmp_path / "a.jsonl"]) if isinstance(a, Article)], progress=False)
    res = runner.invoke(
        app,
        ["eval", "--suite", "news-years", "--store", str(tmp_path / "stores"), "--limit", "3", "-q",
         "--report", str(tmp_path / "r")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "news-2023" in res.output and "short_answer.exact_match" in res.output
    assert "news-2022" not in res.output  # only the years that have a store
    assert (tmp_path / "r" / "news-2023" / "report.json").exists()
