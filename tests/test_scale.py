"""`rag bench --scale`: sizes parse or fail clearly; a store grows through two small sizes, each
reusing the last; the query process reports its own memory and both latencies (no timing
asserts: the figures are judged from the bench's own output)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import need_news
from rag import Engine
from rag.eval.datasets import DATA, SEEDS
from rag.eval.scale import (
    _probe_process,
    parse_sizes,
    run_scale,
    scale_articles,
    scale_plot,
    scale_table,
    year_articles,
)


def test_sizes_parse_with_suffixes_sorted_and_once() -> None:
    assert parse_sizes("250k, 10000,44k,0.1m,10k") == [10_000, 44_000, 100_000, 250_000]


@pytest.mark.parametrize("bad", ["ten", "10k,", "-5", "0"])
def test_a_bad_size_is_one_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match=r"--scale: .*chunks"):
        parse_sizes(bad)


def test_an_id_repeated_across_years_is_walked_once_latest_wins(tmp_path: Path) -> None:
    # a resumed run that met both versions would replace one with the other at every walk
    def year(name: str, ids: list[str]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        rows = [
            {
                "id": i,
                "url": f"https://example.com/{i}",
                "title": f"{i} in {name}",
                "date": "2023-01-02",
                "source": "example.com",
                "authors": [],
                "text": f"Story {i} as told in {name}. " * 5,
            }
            for i in ids
        ]
        with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
        return folder

    years = {"a": year("a", ["x", "y"]), "b": year("b", ["y", "z"])}
    walked = list(year_articles(years))
    assert [a.id for a in walked] == ["x", "y", "z"]
    assert walked[1].title == "y in b"
    # beyond the distinct articles, copies under new ids, text unchanged
    grown = list(scale_articles(years))
    assert [a.id for a in grown] == ["x", "y", "z", "x#copy", "y#copy", "z#copy"]
    assert [a.text for a in grown[3:]] == [a.text for a in walked]


@pytest.mark.model
def test_the_query_process_measures_itself(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with Engine(store=store) as eng:
        eng.ingest([SEEDS], progress=False)
    qfile = tmp_path / "q.jsonl"
    q = {"question": "Who guaranteed the security of Russian bases?", "as_of": "2024-12-09"}
    qfile.write_text(json.dumps(q) + "\n")
    got = _probe_process(store, qfile)
    assert got["peak_rss_mb"] > 100 and got["open_s"] > 0
    assert got["warm_p50_ms"] > 0 and 0 < got["cold_p50_ms"] <= got["cold_p95_ms"]


@pytest.mark.slow
@pytest.mark.model
def test_a_store_grows_through_the_sizes(tmp_path: Path) -> None:
    need_news()
    store = tmp_path / "grown"
    years = {"news-2022": DATA / "news"}
    result = run_scale([150, 400], store, questions=3, years=years, log=lambda _: None)
    small, big = result["rows"]
    assert 150 <= small["chunks"] < big["chunks"] and big["chunks"] >= 400
    assert big["ingested_articles"] > 0 and small["store_mb"] < big["store_mb"]
    assert all(r["keyword_index_s"] > 0 and r["ingest_chunks_per_s"] > 0 for r in (small, big))
    # again: everything up to the last size is stored, so nothing is ingested
    again = run_scale([400], store, questions=0, years=years, log=lambda _: None)
    assert again["rows"][0]["ingested_articles"] == 0 and again["rows"][0]["chunks"] == big["chunks"]
    assert "| chunks |" in scale_table(result)


def test_the_plot_and_table_take_rows_without_a_memory_figure(tmp_path: Path) -> None:
    # merged rows from older runs may lack a figure (their memory was measured wrongly)
    row = {"chunks": 1000, "keyword_index_s": 0.1, "store_mb": 7.0, "cold_p50_ms": 20.0, "cold_p95_ms": 30.0}
    row |= {"warm_p50_ms": 10.0, "warm_p95_ms": 15.0}
    rows = [row, {**row, "chunks": 2000, "peak_rss_mb": 600}, {**row, "chunks": 3000, "peak_rss_mb": 650}]
    scale_plot({"rows": rows}, tmp_path / "scale.png")
    assert (tmp_path / "scale.png").stat().st_size > 10_000
    assert "3.0x): first-time p95 1.00x, keyword index 1.0x" in scale_table({"rows": rows})
    assert "RSS 1.08x" in scale_table({"rows": rows[1:]})
