"""Raw vs delivered faithfulness of generated answers, and `rag eval --backend llamacpp` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval_helpers import record
from llm_helpers import need_llm_extra
from rag.cli import app
from rag.eval.metrics.faithfulness import FaithfulnessEvaluator
from rag.eval.metrics.generation import GenerationEvaluator
from rag.eval.records import Record


def generated(
    qid: str, *, made: int, removed: list[str], backend: str = "llamacpp", notice: str | None = None
) -> Record:
    r = record(qid=qid)
    text = r.answer.answer + (f" {notice}" if notice else "")
    return r.model_copy(
        update={
            "answer": r.answer.model_copy(
                update={
                    "answer": text,
                    "backend": backend,
                    "generated": "raw text",
                    "generated_sentences": made,
                    "removed": removed,
                    "notice": notice,
                }
            )
        }
    )


def test_raw_faithfulness_counts_what_the_model_wrote_delivered_what_was_shown() -> None:
    notice = "(1 generated sentence was removed: the sentences cited do not support them.)"
    records = [
        generated("clean", made=2, removed=[]),
        generated("one-removed", made=2, removed=["Made up."], notice=notice),
        generated(
            "fell-back",
            made=1,
            removed=["Made up."],
            backend="extractive",
            notice="(The model's answer was not shown.)",
        ),
        generated("model-refused", made=0, removed=[], backend="extractive"),
        record(qid="extractive"),  # no generation: not counted
    ]
    g = GenerationEvaluator().evaluate(records)
    assert g.n == 4
    assert g["raw_faithfulness"] == pytest.approx(3 / 5)
    assert g["raw_answers_fully_supported"] == pytest.approx(1 / 3)
    assert g["model_refusal_rate"] == pytest.approx(1 / 4) and g["fallback_rate"] == pytest.approx(2 / 4)
    assert {f["id"] for f in g.failures} == {"one-removed", "fell-back"}
    # the notices say nothing about the articles: delivered faithfulness ignores them
    assert FaithfulnessEvaluator().evaluate(records)["faithfulness"] == 1.0
    assert GenerationEvaluator().evaluate([record()]).metrics == {}


@pytest.mark.llm
@pytest.mark.model
def test_eval_with_the_test_model_reports_raw_and_delivered_faithfulness(tmp_path: Path) -> None:
    need_llm_extra()
    env = {"RAG_LLM_MAX_TOKENS": "96", "RAG_LLM_CONTEXT_WINDOW": "2048", "RAG_TOP_K": "2"}
    res = CliRunner().invoke(
        app,
        ["eval", "--suite", "seeds", "--backend", "llamacpp", "--limit", "3", "--report", str(tmp_path / "r"), "-q"],
        env=env,
    )
    assert res.exit_code == 0, res.output
    assert "generation.raw_faithfulness" in res.output and "gate passed" in res.output
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["settings"]["backend"] == "llamacpp" and data["n_questions"] == 3
    flat = {f"{r['name']}.{k}": v for r in data["groups"]["all"] for k, v in r["metrics"].items()}
    assert 0 <= flat["generation.raw_faithfulness"] <= 1 and flat["faithfulness.faithfulness"] >= 0.98
    assert all(q["generated"] is not None for q in data["questions"])
