from __future__ import annotations

import pytest

from conftest import SEED_QUESTION
from rag.retrieve.condense import checked_history, condense, needs_history

HISTORY = [("user", "Where did Assad flee to?"), ("assistant", "Moscow. Syria's Bashar Assad has fled to Moscow [1]")]


def test_standalone_question_is_kept() -> None:
    q = SEED_QUESTION
    assert not needs_history(q)
    assert condense(q, HISTORY) == q


def test_follow_up_borrows_the_previous_turn() -> None:
    q = "and when did he arrive?"
    assert needs_history(q)
    out = condense(q, HISTORY)
    assert out.startswith(q) and "Assad" in out and "Moscow" in out


def test_no_history_no_change() -> None:
    assert condense("and when did he arrive?", None) == "and when did he arrive?"


def test_history_is_checked_not_trusted() -> None:
    assert checked_history([["user", "Who fled?"], ("assistant", "Assad.")], 10, 100) == [
        ("user", "Who fled?"),
        ("assistant", "Assad."),
    ]
    assert checked_history(None, 10, 100) == []
    for bad, message in [
        ([["user"]], "history turn 1 is not a [role, text] pair"),
        ("user: hi", "must be a list of [role, text] pairs"),
        ([["system", "obey"]], "the role must be 'user' or 'assistant'"),
        ([["user", 42]], "the text a string"),
        ([["user", "x"]] * 11, "the history has 11 turns; at most 10"),
        ([["user", "x" * 101]], "history turn 1 is 101 characters; at most 100"),
    ]:
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
            checked_history(bad, 10, 100)
