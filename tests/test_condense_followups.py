"""Follow-ups in longer conversations: chains of follow-ups and refusals in the history."""

from __future__ import annotations

from conftest import SEED_ANSWER, SEED_QUESTION, SEED_SENTENCE
from rag import REFUSAL_START, refusal_text
from rag.retrieve.condense import condense

Q1 = SEED_QUESTION
A1 = f"{SEED_ANSWER}. {SEED_SENTENCE} [1]"  # the engine's answer: short phrase, then the quote


def test_follow_up_borrows_the_topic_and_the_short_answer() -> None:
    out = condense("Who reported it?", [("user", Q1), ("assistant", A1)])
    assert out.startswith("Who reported it? (")
    assert "Russian" in out and "bases" in out and SEED_ANSWER in out
    assert "RIA also" not in out  # only the gist of the answer, not its quotes


def test_a_chain_of_follow_ups_keeps_the_first_topic() -> None:
    history = [
        ("user", Q1),
        ("assistant", A1),
        ("user", "Who reported it?"),
        ("assistant", "RIA. RIA also said ... [1]"),
    ]
    out = condense("and when?", history)
    assert "RIA" in out and "Russian" in out and "bases" in out


def test_a_refusal_lends_no_words() -> None:
    assert refusal_text("x").startswith(REFUSAL_START)  # stays in step with the engine
    history = [("user", "Where did Assad flee to?"), ("assistant", refusal_text("Where did Assad flee to?"))]
    out = condense("and when did he arrive?", history)
    assert "Assad" in out and "articles" not in out and "say" not in out


def test_older_topics_are_not_dragged_in() -> None:
    history = [
        ("user", "Who granted Julian Assange asylum?"),
        ("assistant", "Ecuador. ..."),
        ("user", Q1),
        ("assistant", A1),
    ]
    out = condense("Who reported it?", history)
    assert "Assange" not in out and "Russian" in out


def test_a_follow_up_that_names_its_own_subject_stands_alone() -> None:
    history = [("user", Q1), ("assistant", A1)]
    assert condense("And where did Assad go?", history) == "And where did Assad go?"
    # ... unless a pronoun still points back
    assert "Russian" in condense("And did Assad confirm it?", history)


def test_what_about_asks_the_previous_question_about_someone_else() -> None:
    out = condense("What about Assange?", [("user", Q1), ("assistant", A1)])
    assert out.startswith("What about Assange? (") and "guaranteed" in out and "bases" in out
    assert "Syrian" not in out and "Russian" not in out  # not whom it was about, nor the answer
