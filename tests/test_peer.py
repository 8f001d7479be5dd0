"""`rag bench --peer llama-index`: both pipelines run for real on the same slice, each in its own
process, and the table's ratios point the right way (no timing asserts: the figures are judged
from the bench's own output)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need_news
from rag.eval.peer import METRICS, _found, peer_table, run_peer


def test_found_matches_the_gold_answer_normalised() -> None:
    assert _found("Squid Game", ["a new season of squid-game, Netflix said"])
    assert not _found("Squid Game", ["Squid", "Game"])  # across two passages is not found


def test_the_ratio_favours_newsrag_when_it_is_better_either_way() -> None:
    ours = {"answer_in_top5": 0.9, "retrieve_p50_ms": 10.0, "chunks": 5, "answer_questions": 2}
    theirs = {"answer_in_top5": 0.6, "retrieve_p50_ms": 40.0, "chunks": 3}
    table = peer_table(
        {"peer": "llama-index", "articles": 3, "questions": 2, "systems": {"newsrag": ours, "llama-index": theirs}}
    )
    assert "| answer_in_top5 | 0.9 | 0.6 | 1.50 |" in table  # higher is better
    assert "| retrieve_p50_ms | 10.0 | 40.0 | 4.00 |" in table  # lower is better
    assert "| store_mb | None | None |  |" in table  # not measured: no ratio
    assert {k for k, _ in METRICS} >= {"answer_in_top2", "accuracy", "peak_rss_mb", "ingest_chunks_per_s"}


def test_an_unknown_peer_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown peer 'haystack'"):
        run_peer("haystack", limit=1)


@pytest.mark.slow
@pytest.mark.model
def test_both_pipelines_on_a_small_slice(tmp_path: Path) -> None:
    need_news()
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "bench", "--peer", "llama-index", "--limit", "12", "--answers", "0",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "peer.json").exists()
    import json

    result = json.loads((tmp_path / "peer.json").read_text())
    assert result["articles"] == 12 and result["questions"] >= 1
    for row in result["systems"].values():
        assert row["chunks"] > 0 and row["store_mb"] > 0 and row["peak_rss_mb"] > 100
        assert 0 <= row["answer_in_top2"] <= row["answer_in_top5"] <= 1
        assert row["retrieve_p50_ms"] > 0 and row["accuracy"] is None
    assert "| answer_in_top5 |" in proc.stdout
