from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED_ANSWER, SEED_QUESTION, SEED_SENTENCE
from rag import REFUSAL_START, Answer, Answerer, Embedder, Engine, Retrieval
from rag.eval.startup import child_env


def test_seed_question_is_answered_with_exact_citation(seed_engine: Engine) -> None:
    ans = seed_engine.ask(SEED_QUESTION)
    assert not ans.refused
    assert SEED_ANSWER in ans.answer
    # a short answer phrase is shown only when the reader is confident; never a wrong one here
    assert ans.short_answer in (None, SEED_ANSWER)
    assert ans.citations and ans.citations[0].quote == SEED_SENTENCE
    for c in ans.citations:
        text = seed_engine.articles([c.article_id])[c.article_id].text
        assert text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in ans.answer
    assert set(ans.timings_ms) >= {"retrieve", "answer", "total"}


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Australia?",
        "Who won the 2022 football World Cup?",
        "How much does a barrel of oil cost?",
    ],
)
def test_unanswerable_questions_are_refused(seed_engine: Engine, question: str) -> None:
    ans = seed_engine.ask(question)
    assert ans.refused and ans.citations == []
    assert ans.answer.startswith(REFUSAL_START)


def test_follow_up_uses_history(seed_engine: Engine) -> None:
    first = seed_engine.ask("Where did Assad flee after his ouster?")
    assert "Moscow" in first.answer
    follow = seed_engine.ask(
        "Who granted him asylum?",
        history=[("user", "Where did Assad flee after his ouster?"), ("assistant", first.answer)],
    )
    assert follow.query != follow.question and "Assad" in follow.query
    assert not follow.refused and "Russia" in follow.answer


def test_empty_question_is_an_error(seed_engine: Engine) -> None:
    with pytest.raises(ValueError, match="empty"):
        seed_engine.ask("   ")


def test_empty_store_refuses(engine: Engine) -> None:
    assert engine.ask(SEED_QUESTION).refused


def test_retrieve_returns_passages_with_offsets(seed_engine: Engine) -> None:
    r = seed_engine.retrieve(SEED_QUESTION)
    assert r.passages and r.query == SEED_QUESTION
    assert [p.rank for p in r.passages] == list(range(len(r.passages)))
    for p in r.passages:
        assert seed_engine.articles([p.article.id])[p.article.id].text[p.start : p.end] == p.text
    assert any(SEED_SENTENCE in p.text for p in r.passages)


def test_ask_stream_ends_with_the_same_answer(seed_engine: Engine) -> None:
    pieces = list(seed_engine.ask_stream(SEED_QUESTION))
    final = pieces[-1]
    assert isinstance(final, Answer) and all(isinstance(p, str) for p in pieces[:-1])
    assert final.answer == seed_engine.ask(SEED_QUESTION).answer
    assert set(final.timings_ms) >= {"retrieve", "answer", "total"}


class EchoFirstSentence:
    """A registered stand-in answerer: quotes the first passage's first 40 characters."""

    name = "echo"

    def answer(self, retrieval: Retrieval) -> Answer:
        p = retrieval.passages[0]
        return Answer(question=retrieval.question, answer=p.text[:40], refused=False, backend=self.name)

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        yield self.answer(retrieval)


def test_engine_takes_any_answerer(seed_store: Path, tmp_path: Path, embedder: Embedder) -> None:
    shutil.copytree(seed_store, tmp_path / "s")
    with Engine(store=tmp_path / "s", embedder=embedder, answerer=EchoFirstSentence()) as eng:
        assert isinstance(eng.answerer, Answerer)
        ans = eng.ask(SEED_QUESTION)
        assert ans.backend == "echo" and ans.timings_ms["total"] > 0


def test_unknown_backend_is_a_clear_error(seed_engine: Engine) -> None:
    eng = Engine(store=seed_engine.config.store, config=seed_engine.config.model_copy(update={"backend": "nope"}))
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        eng.ask(SEED_QUESTION)
    eng.close()


def test_overlong_question_is_a_clear_error(seed_engine: Engine) -> None:
    with pytest.raises(ValueError, match="too long"):
        seed_engine.ask("Who guaranteed the security of Russian bases? " * 500)


def test_warm_up_loads_what_the_first_question_waits_for(seed_store: Path) -> None:
    # in a process of its own: this one has loaded spaCy for other tests already
    code = (
        "import sys; from pathlib import Path; from rag import Engine; from rag.text.entities import _load_nlp\n"
        f"eng = Engine(store=Path({str(seed_store)!r}))\n"
        "assert 'spacy' not in sys.modules and _load_nlp.cache_info().currsize == 0\n"
        "eng.warm_up()\n"
        "print(_load_nlp.cache_info().currsize, eng._embedder is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_env())
    assert out.stdout.split() == ["1", "True"]
