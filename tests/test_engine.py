from __future__ import annotations

import pytest

from conftest import SEED_QUESTION, SEED_SENTENCE
from rag import Engine


def test_seed_question_is_answered_with_exact_citation(seed_engine: Engine) -> None:
    ans = seed_engine.ask(SEED_QUESTION)
    assert not ans.refused
    assert "Syrian insurgents" in ans.answer
    assert ans.short_answer == "Syrian insurgents"
    assert ans.citations and ans.citations[0].quote == SEED_SENTENCE
    for c in ans.citations:
        text = seed_engine.article(c.article_id).text  # type: ignore[union-attr]
        assert text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in ans.answer
    assert set(ans.timings_ms) >= {"retrieve", "answer", "total"}


@pytest.mark.parametrize("question", [
    "What is the capital of Australia?",
    "Who won the 2022 football World Cup?",
    "How much does a barrel of oil cost?",
])
def test_unanswerable_questions_are_refused(seed_engine: Engine, question: str) -> None:
    ans = seed_engine.ask(question)
    assert ans.refused and ans.citations == []
    assert ans.answer.startswith("The articles don't say")


def test_follow_up_uses_history(seed_engine: Engine) -> None:
    first = seed_engine.ask("Where did Assad flee after his ouster?")
    assert "Moscow" in first.answer
    follow = seed_engine.ask("Who granted him asylum?",
                             history=[("user", "Where did Assad flee after his ouster?"), ("assistant", first.answer)])
    assert follow.query != follow.question and "Assad" in follow.query
    assert not follow.refused and "Russia" in follow.answer


def test_empty_question_is_an_error(seed_engine: Engine) -> None:
    with pytest.raises(ValueError, match="empty"):
        seed_engine.ask("   ")


def test_empty_store_refuses(engine: Engine) -> None:
    assert engine.ask(SEED_QUESTION).refused
