"""The page's chat handler streams a model's text as a draft, then shows the checked answer
(no browser needed: the handler is a generator)."""

from __future__ import annotations

import pytest

from llm_helpers import COST, scripted_llm
from rag import Engine, GenerativeAnswerer
from rag.ui import app, render


def test_draft_streams_in_then_the_checked_answer_replaces_it(
    scripted: tuple[Engine, GenerativeAnswerer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "DRAFT_REFRESH_S", 0.0)
    eng, answerer = scripted
    question = "How much did the Zorblat bridge cost?"
    n = next(n for n, s in enumerate(answerer.prompt(eng.retrieve(question)).sentences, 1) if s.text == COST)
    scripted_llm(answerer).script = f"The bridge cost 12 million euros [{n}]. It cost 30 million euros [{n}]."
    page = app.Page(eng)
    bubbles = [out[0][-1]["content"] for out in page.respond(question, [], [], None, None, None, None, 2)]
    assert "Searching the articles" in bubbles[0]
    drafts = bubbles[1:-1]
    assert len(drafts) >= 3 and all("rag-pending" in d and "Draft" in d for d in drafts)
    assert [len(d) for d in drafts] == sorted(len(d) for d in drafts)  # the draft grows
    assert f"[{n}]" in drafts[-1]
    final = bubbles[-1]
    assert "rag-pending" not in final and "Answered by: llamacpp (checked against the sources)" in final
    assert "<sup>[1]</sup>" in final and "12 million euros" in final
    assert 'class="rag-removed"' in final and "<del>It cost 30 million euros.</del>" in final
    assert 'class="rag-notice"' in final and "1 generated sentence was removed" in final
    assert final.count("30 million") == 1  # only struck through, never in the answer's body
    assert render.answer_html(eng.ask(question)) == final
    assert not hasattr(app, "STREAM_STEP_WORDS")  # the word-by-word replay of a finished answer is gone
