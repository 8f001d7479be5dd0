import datetime as dt
import json
from pathlib import Path

import pytest

from rag.eval import datasets


def test_seed_set_is_complete_and_grounded() -> None:
    text = (datasets.SEEDS / "000_943095c08cca1460.txt").read_text()
    qs = datasets.seed_questions({"000_943095c08cca1460.txt": "seed-id"})
    answerable = [q for q in qs if q.answerable]
    assert len(answerable) >= 20 and len([q for q in qs if not q.answerable]) >= 8
    assert len({q.id for q in qs}) == len(qs)
    for q in answerable:
        assert q.gold_sentence and q.gold_sentence in text, q.id  # verbatim in the article
        assert any(a in q.gold_sentence for a in q.answers), q.id
        assert q.gold_articles == ["seed-id"]


def test_news_questions_schema_as_of_and_limit(tmp_path: Path) -> None:
    f = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "1",
            "question": "Who?",
            "as_of": "2022-06-16",
            "answer": "Squid Game",
            "answer_in_corpus": True,
            "supporting_articles": ["abc"],
        },
        {"id": "2", "question": "What?", "answer": "x", "answer_in_corpus": False},
        {"id": "3", "question": "Where?", "answer": ["Europe", "EU"]},
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    qs = datasets.news_questions(f)
    assert [q.id for q in qs] == ["1", "3"]
    assert qs[0].as_of == dt.date(2022, 6, 16) and qs[0].gold_articles == ["abc"]
    assert qs[1].answers == ["Europe", "EU"]
    assert len(datasets.news_questions(f, limit=1)) == 1
    f.write_text('{"id": "1", "question": "Who?"}')
    with pytest.raises(ValueError, match="missing field"):
        datasets.news_questions(f)
    f.write_text("not json")
    with pytest.raises(ValueError, match="not JSON"):
        datasets.news_questions(f)


def test_rgb_conditions() -> None:
    item = {
        "id": 7,
        "query": "Where?",
        "answer": [["Tampa", "Tampa Bay"]],
        "fakeanswer": "Glendale",
        "positive": ["In Tampa."],
        "positive_wrong": ["In Glendale."],
        "negative": ["Noise.", "More."],
    }
    arts = datasets.rgb_articles(item)
    assert {a.source for a in arts} == {"positive", "negative", "positive_wrong"} and len(arts) == 4
    qs = {q.category: q for q in datasets.rgb_questions(item)}
    noise, negative = qs["noise"].filters, qs["negative"].filters
    assert noise is not None and negative is not None
    assert qs["noise"].answers == ["Tampa", "Tampa Bay"] and noise.sources == ("positive", "negative")
    assert not qs["negative"].answerable and negative.sources == ("negative",)
    assert qs["counterfactual"].answers == ["Glendale"]
    assert qs["conflict"].expect_conflict and qs["conflict"].gold_articles == [
        "rgb7-positive-0",
        "rgb7-positive_wrong-0",
    ]


def test_real_benchmark_files_load() -> None:
    if not datasets.NEWS_QUESTIONS.exists() or not datasets.RGB.exists():
        pytest.skip(datasets.data_missing(datasets.DATA))
    assert len(datasets.news_questions()) == 294
    assert len(datasets.rgb_items()) == 100
