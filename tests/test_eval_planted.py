"""Plant unfaithful answers into real engine output and check the metrics catch each one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import SEED_ANSWER, SEED_QUESTION
from rag import Article, Embedder, Engine, load_paths
from rag.eval.datasets import SEEDS
from rag.eval.metrics import AnswerAccuracyEvaluator, CitationEvaluator, FaithfulnessEvaluator
from rag.eval.records import EvalQuestion, Record
from rag.eval.runner import run_one

OTHER = Article(
    id="other",
    title="Other",
    text="The storm made landfall near Fort Myers, Florida, on "
    "September 28, killing at least 100 people. Officials said rescue work went on for weeks.",
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Engine]:
    eng = Engine(store=tmp_path_factory.mktemp("planted") / "store", embedder=embedder)
    eng.ingest_articles([*load_paths([SEEDS]), OTHER], progress=False)
    yield eng
    eng.close()


def ask(engine: Engine, question: str, gold: str) -> Record:
    rec = run_one(engine, EvalQuestion(id="q", question=question, answers=[gold]))
    assert not rec.answer.refused and gold in rec.answer.answer
    rec.sources[OTHER.id] = OTHER.text  # the evaluators may look the wrong article up too
    return rec


def scores(rec: Record) -> dict[str, float]:
    out: dict[str, float] = {}
    for ev in (FaithfulnessEvaluator(), CitationEvaluator(), AnswerAccuracyEvaluator()):
        out |= ev.evaluate([rec]).metrics
    return out


def planted(rec: Record, text: str | None = None, **citation_update: object) -> Record:
    ans = rec.answer
    cits = [c.model_copy(update=citation_update) for c in ans.citations] if citation_update else ans.citations
    return rec.model_copy(update={"answer": ans.model_copy(update={"answer": text or ans.answer, "citations": cits})})


def test_faithful_answer_scores_full(engine: Engine) -> None:
    s = scores(ask(engine, SEED_QUESTION, SEED_ANSWER))
    assert s["faithfulness"] == 1.0 and s["citation_recall"] == 1.0 and s["accuracy"] == 1.0


def test_swapped_entity_is_caught(engine: Engine) -> None:
    rec = ask(engine, SEED_QUESTION, SEED_ANSWER)
    s = scores(planted(rec, rec.answer.answer.replace(SEED_ANSWER, "Kurdish insurgents")))
    assert s["faithfulness"] < 1.0 and s["citation_recall"] < 1.0 and s["accuracy"] == 0.0


def test_swapped_number_is_caught(engine: Engine) -> None:
    rec = ask(engine, "How many decades did Assad's family rule Syria?", "five")
    s = scores(planted(rec, rec.answer.answer.replace("five", "four")))
    assert s["faithfulness"] < 1.0 and s["citation_recall"] < 1.0


def test_invented_sentence_is_caught(engine: Engine) -> None:
    rec = ask(engine, SEED_QUESTION, SEED_ANSWER)
    s = scores(planted(rec, rec.answer.answer + " Russia then sent 5,000 troops to Latakia. [1]"))
    assert s["faithfulness"] < 1.0 and s["citation_recall"] < 1.0
    assert s["accuracy"] == 1.0  # accuracy alone would not notice: that is why faithfulness exists


def test_citation_to_the_wrong_article_is_caught(engine: Engine) -> None:
    rec = ask(engine, SEED_QUESTION, SEED_ANSWER)
    s = scores(planted(rec, article_id=OTHER.id))
    assert s["faithfulness"] == 0.0 and s["citation_recall"] == 0.0
