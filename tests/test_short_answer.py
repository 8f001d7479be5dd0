from __future__ import annotations

import pytest

from conftest import SEED_ANSWER, SEED_QUESTION, SEED_SENTENCE
from rag.answerers.short_answer import extract, question_kind

SENT = SEED_SENTENCE


@pytest.mark.parametrize(
    ("question", "sentence", "want"),
    [
        (SEED_QUESTION, SENT, SEED_ANSWER),
        ("Where did Assad flee to?", "Syria's Bashar Assad has fled to Moscow after his ouster.", "Moscow"),
        (
            "Who leads the biggest faction?",
            "The leader of Syria's biggest anti-regime faction, Abu Mohammed al-Golani of the HTS, spoke.",
            "Abu Mohammed al-Golani",
        ),
        ("When did the fair open?", "The fair opened on June 3, 2022 in the park.", "June 3, 2022"),
        ("How many people attended?", "Officials said 31,000 people attended the fair.", "31,000"),
    ],
)
def test_extracts_the_phrase(question: str, sentence: str, want: str) -> None:
    assert extract(question, sentence) == want


def test_no_phrase_when_the_kind_is_unclear_or_absent() -> None:
    assert extract("Why did it happen?", SENT) is None
    assert extract("How many bases are there?", SENT) is None  # no number in the sentence
    assert question_kind("What did he say?") is None


def test_capitalised_stop_words_are_not_names() -> None:
    sent = "Dec 8, 2022 ... As of 2021, the player with the most wins was Martina Navratilova."
    assert extract("Who has won the most titles?", sent) == "Martina Navratilova"
