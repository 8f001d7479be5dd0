"""The real news data: a slice goes in, re-ingesting it embeds nothing, dated questions work."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import need_news
from rag import Engine
from rag.embed.embedder import Embedder


@pytest.mark.slow
def test_news_slice_ingest_reingest_and_as_of(tmp_path: Path, embedder: Embedder) -> None:
    news = need_news()
    with gzip.open(news, "rt") as fh:
        lines = [next(fh) for _ in range(15)]
    recs = [json.loads(line) for line in lines]
    sl = tmp_path / "slice.jsonl.gz"
    with gzip.open(sl, "wt") as fh:
        fh.writelines(lines)
    with Engine(store=tmp_path / "s", embedder=embedder) as eng:
        first = eng.ingest([sl], progress=False)
        assert len(first.added) == len({r["id"] for r in recs}) and not first.failed
        again = eng.ingest([sl], progress=False)
        assert again.chunks_embedded == 0 and not again.added and not again.updated
        dated = sorted(r["date"] for r in recs if r["date"])
        cutoff = dated[len(dated) // 2]
        target = next(r for r in recs if r["date"] and r["date"] <= cutoff and r["title"])
        ans = eng.ask(target["title"], as_of=cutoff)
        assert all(c.date is None or c.date.isoformat() <= cutoff for c in ans.citations)
        if not ans.refused:
            for c in ans.citations:
                assert eng.articles([c.article_id])[c.article_id].text[c.start : c.end] == c.quote
