from pathlib import Path

from conftest import SEED_ANSWER, SEED_QUESTION
from hash_embedder import HashEmbedder
from rag import Article, Engine, Filters
from rag.eval.records import EvalQuestion
from rag.eval.runner import run_one

A = Article(
    id="a",
    title="a",
    source="x.com",
    text="RIA also said Syrian insurgents had guaranteed the "
    "security of Russian military bases and diplomatic posts in Syria. Crowds celebrated.",
)
B = Article(
    id="b",
    title="b",
    source="y.com",
    text="The storm made landfall near Fort Myers, Florida, "
    "killing at least 100 people. Rescue work went on for weeks.",
)


def test_run_one_keeps_answer_chunks_sources_and_time(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        eng.ingest_articles([A, B], progress=False)
        rec = run_one(eng, EvalQuestion(id="1", question=SEED_QUESTION, answers=[SEED_ANSWER]))
        assert not rec.answer.refused and rec.latency_ms > 0
        assert rec.retrieved[0].article_id == "a" and rec.retrieved[0].text in A.text
        assert set(rec.sources) == {c.article_id for c in rec.answer.citations} == {"a"}
        assert rec.sources["a"] == A.text
        # the question's filters reach both the answer and the retrieved chunks
        only_b = run_one(eng, EvalQuestion(id="2", question=SEED_QUESTION, filters=Filters(sources=("y.com",))))
        assert {c.article_id for c in only_b.retrieved} <= {"b"}
        assert all(c.article_id == "b" for c in only_b.answer.citations)
