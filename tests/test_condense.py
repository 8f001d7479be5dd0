from __future__ import annotations

from conftest import SEED_QUESTION
from rag.retrieve.condense import condense, needs_history

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
