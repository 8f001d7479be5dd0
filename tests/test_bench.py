"""`rag bench` runs end to end on a small slice and reports every figure (no timing asserts:
speed targets are judged from the benchmark's own output, never in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import need_news
from rag import Engine
from rag.eval.bench import QUESTIONS, load_questions, pick_slice, plot, run_bench, table


@pytest.mark.slow
def test_slice_keeps_whole_questions() -> None:
    need_news()
    import gzip

    from conftest import NEWS

    with gzip.open(NEWS, "rt") as fh:
        records = [json.loads(line) for line in fh]
    arts, qs = pick_slice(records, load_questions(QUESTIONS), 30)
    ids = {a["id"] for a in arts}
    assert len(arts) == 30 and qs
    assert all(q["answer_in_corpus"] and set(q["supporting_articles"]) <= ids for q in qs)


@pytest.mark.slow
@pytest.mark.model
def test_bench_on_a_small_slice(tmp_path: Path) -> None:
    need_news()
    result = run_bench(limit=4, int8=False, startup=False, log=lambda _: None)
    assert result["articles"] == 4 and result["chunks"] > 0 and result["questions"] >= 1
    fast, torch = result["fast"], result["torch"]
    assert fast["chunks"] == torch["chunks"] == result["chunks"]
    assert fast["embedder"].startswith("openvino") and torch["embedder"] == "torch-cpu"
    assert fast["reingest_s"] < fast["ingest_s"] and fast["store_mb"] > 0
    assert fast["ingest_peak_rss_mb"] > 100 and 0 <= fast["answer_in_top5"] <= 1
    lat = fast["latency"]
    assert lat["questions"] == result["questions"] and lat["total_p95_ms"] >= lat["total_p50_ms"] > 0
    assert set(result["ratios"]) >= {
        "fast_speedup_over_torch",
        "ingest_overhead_over_raw",
        "reingest_speedup",
        "fast_top5_points_lost",
        "ingest_non_embedding_share",
        "sentence_vectors_ingest_time",
        "sentence_vectors_store_size",
        "sentence_entities_ingest_time",
        "sentence_entities_store_size",
        "cold_over_warm",
        "cold_over_warm_without_sentence_entities",
        "cold_over_warm_chunks_only",
    }
    only, vec = result["fast_chunks_only"], result["fast_no_sentence_entities"]
    assert only["chunks"] == vec["chunks"] == fast["chunks"]
    assert only["store_mb"] < vec["store_mb"] <= fast["store_mb"]  # the vectors take room, the entities some
    assert fast["latency_again"]["questions"] == lat["questions"]
    plot(result, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").stat().st_size > 10_000
    assert "ingest overhead over raw" in table(result)


def test_bench_refuses_a_folder_that_is_no_store(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "bench", "--store", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "is not a store" in proc.stderr


def test_generation_latency_with_the_test_model(gen_engine: Engine) -> None:
    from rag.eval.bench import generation_latency

    qs: list[dict[str, Any]] = [
        {"question": "Who opened the Zorblat bridge?", "as_of": "2024-03-05"},
        {"question": "How much did the Zorblat bridge cost?", "as_of": None},
    ]
    gen = generation_latency(gen_engine, qs)
    assert gen["backend"] == "llamacpp" and gen["questions"] == 2
    assert 0 < gen["first_token_p50_ms"] <= gen["total_p50_ms"] and gen["total_p95_ms"] >= gen["total_p50_ms"]
    text = table(
        {
            "store": {"path": "s", "chunks": 2, "store_mb": 0.1, "embedder": "e", "answer_in_top5": 1.0, "latency": {}},
            "generation": gen,
        }
    )
    assert "time to first streamed token p50 / p95" in text and "checked answer total" in text


@pytest.mark.model
def test_startup_times_whole_commands_and_the_page() -> None:
    from rag.eval.startup import measure_startup

    st = measure_startup(runs=1)
    assert len(st["ask_s"]) == len(st["stats_s"]) == 1
    assert st["stats_median_s"] > 0 and st["ask_median_s"] > 0 and st["page_ready_s"] > 0
    assert st["ask_peak_rss_mb"] > 50  # the model was loaded in that process
