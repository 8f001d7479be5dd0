from __future__ import annotations

import datetime as dt

from rag import Article, Engine, Filters
from rag.config import RagConfig
from rag.models import Hit
from rag.retrieve.retriever import recency_weight, rrf

STORY = "The city council of {city} voted to build a new stadium for the football team."


def arts() -> list[Article]:
    return [
        Article(id="old", date=dt.date(2022, 1, 1), source="cnn.com", text=STORY.format(city="Oldtown")),
        Article(id="recent", date=dt.date(2022, 6, 10), source="usatoday.com", text=STORY.format(city="Newtown")),
        Article(id="future", date=dt.date(2022, 7, 1), source="cnn.com", text=STORY.format(city="Latertown")),
        Article(id="undated", text="Completely unrelated text about cooking pasta with basil."),
    ]


def ids(engine: Engine, *, filters: Filters | None = None, as_of: dt.date | None = None) -> list[str]:
    q = "Which city council voted to build a stadium?"
    return [p.article.id for p in engine.retrieve(q, filters=filters, as_of=as_of, top_k=4).passages]


def test_filters_and_as_of(engine: Engine) -> None:
    engine.ingest_articles(arts(), progress=False)
    assert set(ids(engine)) >= {"old", "recent", "future"}
    got = ids(engine, as_of=dt.date(2022, 6, 15))
    assert "future" not in got  # never after as_of
    assert got[0] == "recent"  # shortly before as_of is preferred
    assert set(ids(engine, filters=Filters(sources=("cnn.com",)))) == {"old", "future"}
    got = ids(engine, filters=Filters(date_from=dt.date(2022, 6, 1), date_to=dt.date(2022, 6, 30)))
    assert got == ["recent"]


def test_rrf_rewards_agreement() -> None:
    a = [Hit(chunk_id="1", article_id="x", score=1), Hit(chunk_id="2", article_id="x", score=1)]
    b = [Hit(chunk_id="2", article_id="x", score=1), Hit(chunk_id="3", article_id="x", score=1)]
    fused = rrf([a, b], 60)
    assert max(fused, key=fused.__getitem__) == "2"


def test_recency_weight() -> None:
    cfg = RagConfig()
    as_of = dt.date(2022, 6, 15)
    assert recency_weight(20220615, as_of, cfg) == 2.0
    assert 1.0 < recency_weight(20220610, as_of, cfg) < 2.0
    assert recency_weight(20200101, as_of, cfg) == 1.0  # outside the window
    assert recency_weight(0, as_of, cfg) == 1.0  # undated
