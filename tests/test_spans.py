"""The span ranker's candidates and features, with the real spaCy model and the shipped weights."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answerers.spans import (
    SPAN_FEATURES,
    best_span,
    candidate_spans,
    group_spans,
    missing_kind,
    question_sides,
    question_type,
    span_features,
)
from rag.text.analyzer import terms

SEED = (
    "Syrian insurgents took control of the Russian air base at Hmeimim on Sunday, officials said.",
    "A defaced portrait of Syria's Bashar Assad stands in the city of Hama.",
)


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("Who took control of Russian bases in Syria?", "person"),
        ("Where did Bashar Assad flee to?", "place"),
        ("Which country hosted the summit?", "place"),
        ("Which company bought Twitter?", "org"),
        ("When did the war start?", "date"),
        ("How many people died?", "count"),
        ("How much did the tickets cost?", "amount"),
        ("What did the court decide?", "thing"),
        ("Tell me about Syria.", None),
        # the earliest wh-phrase decides: "who" here opens a relative clause
        ("The governing body of which sport ruled that athletes who transitioned may not compete?", "thing"),
        ("The teen flew around the world solo. How old is he?", "count"),  # the last sentence asks
        ("How long is she facing in prison?", "date"),
        ("Cassidy Hutchinson was a former special assistant to:", "blank"),  # the statement's gap
        ("He became the first American man to reach the semifinals since:", "date"),
    ],
)
def test_question_type(question: str, qtype: str | None) -> None:
    assert question_type(question) == qtype


def test_candidates_keep_the_asked_kind_new_to_the_question() -> None:
    spans = candidate_spans("Who took control of Russian bases in Syria?", list(SEED))
    texts = {s.text for s in spans}
    assert "Syrian insurgents" in texts  # a nationality takes its noun along
    assert "Russian" not in texts and "Syria" not in texts  # the question holds them: not answers
    for s in spans:  # offsets point at the phrase shown
        assert SEED[s.sentence][s.start : s.end] == s.text


def test_features_are_one_row_per_distinct_phrase() -> None:
    sents = [SEED[0], SEED[0].replace("Sunday", "Monday"), SEED[1]]
    q = "Who took control of Russian bases in Syria?"
    groups = group_spans(candidate_spans(q, sents))
    x = span_features(q, sents, [0.9, 0.5, 0.1], ["a", "b", "c"], groups)
    assert x.shape == (len(groups), len(SPAN_FEATURES))
    row = x[[g.text for g in groups].index("Syrian insurgents")]
    col = dict(zip(SPAN_FEATURES, row, strict=True))
    assert col["articles"] == pytest.approx(np.log1p(2))  # two articles agree on it
    assert col["in_top1"] == 1.0 and col["type_ok"] == 1.0


def test_best_span_answers_the_seed_question() -> None:
    short = best_span("Who took control of Russian bases in Syria?", list(SEED), [0.8, 0.2], ["a", "b"])
    assert short is not None and short.text == "Syrian insurgents"
    assert SEED[short.sentence][short.start : short.end] == short.text
    assert 0.0 < short.confidence < 1.0


def test_no_wh_question_no_span() -> None:
    assert best_span("Tell me about Syria.", list(SEED), [0.8, 0.2], ["a", "b"]) is None


@pytest.mark.parametrize(
    ("question", "sentence", "phrase"),
    [
        # entities joined by "and" or commas are also one phrase
        (
            "Which two countries did NATO invite to join?",
            "NATO invited Sweden and Finland on Wednesday.",
            "Sweden and Finland",
        ),
        # asked "how many hours", the number alone
        ("How many hours of flight experience does a pilot need?", "Pilots need at least 1,500 hours.", "1,500"),
        # a "what" question answered by no named entity: a run of content words new to it
        (
            "Twitter said it will be testing which new feature?",
            "Twitter is testing an edit button, it said.",
            "edit button",
        ),
    ],
)
def test_candidates_beyond_single_entities(question: str, sentence: str, phrase: str) -> None:
    spans = candidate_spans(question, [sentence])
    assert phrase in {s.text for s in spans}
    for s in spans:
        assert sentence[s.start : s.end] == s.text


def test_question_sides_follow_the_statement_order() -> None:
    """Subject questions keep their words after the answer; inverted ones put them before it."""
    assert question_sides("Who guaranteed the security of Russian bases?") == (
        set(),
        set(terms("guaranteed security Russian bases")),
    )
    before, after = question_sides("Where did Assad flee after his ouster?")
    assert after == set() and before == set(terms("Assad flee ouster"))


def test_a_question_for_a_number_finds_none_in_sentences_without_one() -> None:
    def missing(question: str, sentences: tuple[str, ...]) -> str | None:
        return missing_kind(question, candidate_spans(question, sentences))

    assert missing("How old is Bashar Assad?", SEED) == "a number"
    assert missing("How many bases did Russia keep?", (*SEED, "Russia keeps two bases.")) is None
    assert missing("When did the bridge open?", ("The mayor opened the bridge.",)) == "a date"
    assert missing("When did the bridge open?", ("The mayor opened the bridge on Monday.",)) is None
    # a "who" may be answered by a role, no name: never refused for want of one
    assert missing("Who opened the Zorblat bridge?", ("The mayor opened the Zorblat bridge on Monday.",)) is None
    assert missing("What happened to the bases?", SEED) is None  # asks for no specific kind
