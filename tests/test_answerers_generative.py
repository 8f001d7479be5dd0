"""The generative answerer: crafted model output for the mechanics (citations mapped to exact
offsets and renumbered, invented numbers dropped, unsupported sentences removed or marked,
fallback, refusal, streaming order), then the real test model (SmolLM2 through llamacpp) end to
end, where whatever it writes, only supported sentences may be delivered."""

from __future__ import annotations

import pytest

from llm_helpers import (
    ARTICLES,
    CONFIG,
    COST,
    INJECTION,
    OPENED,
    assert_exact_citations,
    need_llm_extra,
    scripted_llm,
    split_stream,
    statements_supported,
)
from rag import REFUSAL_START, Answer, Engine, GenerativeAnswerer
from rag.answerers import UNVERIFIED
from rag.answerers.prompt import CLOSE, OPEN, REFUSAL, Prompt

BRIDGE_Q = "Who opened the Zorblat bridge, and what did it cost?"


def number(prompt: Prompt, sentence: str) -> int:
    return next(n for n, s in enumerate(prompt.sentences, 1) if s.text == sentence)


def ask(eng: Engine, answerer: GenerativeAnswerer, question: str, script: str) -> Answer:
    scripted_llm(answerer).script = script
    return eng.ask(question)


def test_prompt_numbers_sentences_with_offsets_and_fences_the_sources(
    scripted: tuple[Engine, GenerativeAnswerer],
) -> None:
    eng, answerer = scripted
    p = answerer.prompt(eng.retrieve(BRIDGE_Q, as_of="2024-03-05"))
    for n, s in enumerate(p.sentences, 1):
        assert ARTICLES[s.passage.article.id].text[s.start : s.end] == s.text
        assert f"[{n}] {s.text}" in p.user
    assert p.user.count(OPEN) == 1 and p.user.count(CLOSE) == 1
    assert p.user.index(INJECTION) < p.user.index(CLOSE) < p.user.index("Question: " + BRIDGE_Q)
    assert "Today is 2024-03-05" in p.user and "\u201cZorblat bridge opens in Wexford\u201d (2024-03-04" in p.user
    assert "never follow" in p.system and REFUSAL in p.system


def test_citations_map_to_exact_sentences_renumbered_in_order_of_use(
    scripted: tuple[Engine, GenerativeAnswerer],
) -> None:
    eng, answerer = scripted
    p = answerer.prompt(eng.retrieve(BRIDGE_Q))
    opened, cost = number(p, OPENED), number(p, COST)
    ans = ask(
        eng,
        answerer,
        BRIDGE_Q,
        f"Mayor Anna Kowalski opened the Zorblat bridge on Monday [{cost}][{opened}]. "
        f"It cost 12 million euros [{cost}].",
    )
    assert ans.backend == "llamacpp" and not ans.refused and ans.removed == [] and ans.notice is None
    assert [c.quote for c in ans.citations] == [COST, OPENED]  # numbered by first use
    assert ans.answer == "Mayor Anna Kowalski opened the Zorblat bridge on Monday. [1][2] It cost 12 million euros. [1]"
    assert_exact_citations(ans, ARTICLES)
    assert all(ok for _, ok in statements_supported(ans, ARTICLES))
    assert ans.generated_sentences == 2 and "[" in (ans.generated or "")


def test_an_invented_citation_is_dropped(scripted: tuple[Engine, GenerativeAnswerer]) -> None:
    eng, answerer = scripted
    cost = number(answerer.prompt(eng.retrieve(BRIDGE_Q)), COST)
    ans = ask(eng, answerer, BRIDGE_Q, f"The bridge cost 12 million euros to build [{cost}][41].")
    assert ans.answer == "The bridge cost 12 million euros to build. [1]"
    assert [c.quote for c in ans.citations] == [COST]


@pytest.mark.parametrize("keep", [False, True])
def test_an_unsupported_sentence_is_removed_or_marked_and_the_answer_says_so(
    scripted: tuple[Engine, GenerativeAnswerer], keep: bool
) -> None:
    eng, answerer = scripted
    answerer.cfg = CONFIG.model_copy(update={"keep_unsupported": keep})
    p = answerer.prompt(eng.retrieve(BRIDGE_Q))
    opened, cost = number(p, OPENED), number(p, COST)
    ans = ask(
        eng,
        answerer,
        BRIDGE_Q,
        f"Mayor Anna Kowalski opened the Zorblat bridge [{opened}]. The bridge cost 40 million euros [{cost}].",
    )
    assert ans.removed == ["The bridge cost 40 million euros."]
    assert ans.backend == "llamacpp" and ans.notice and ans.answer.endswith(ans.notice)
    if keep:
        assert f"{UNVERIFIED} The bridge cost 40 million euros. [2]" in ans.answer and "marked" in ans.notice
        assert [ok for _, ok in statements_supported(ans, ARTICLES)] == [True, False]
    else:
        assert "40 million" not in ans.answer and "1 generated sentence was removed" in ans.notice
        assert [c.quote for c in ans.citations] == [OPENED]
        assert all(ok for _, ok in statements_supported(ans, ARTICLES))


def test_when_nothing_survives_the_quoted_answer_is_given_and_says_why(
    scripted: tuple[Engine, GenerativeAnswerer],
) -> None:
    eng, answerer = scripted
    ans = ask(
        eng, answerer, "How much did the Zorblat bridge cost?", "The bridge cost 99 million euros [2]. Paris is nice."
    )
    assert ans.backend == "extractive" and not ans.refused
    assert COST in ans.answer and "99" not in ans.answer
    assert "not shown" in (ans.notice or "") and ans.answer.endswith(ans.notice or "")
    assert len(ans.removed) == 2 and ans.generated_sentences == 2
    assert_exact_citations(ans, ARTICLES)


def test_model_refusal_gives_the_quoted_answer_or_a_refusal(scripted: tuple[Engine, GenerativeAnswerer]) -> None:
    eng, answerer = scripted
    ans = ask(eng, answerer, "How much did the Zorblat bridge cost?", REFUSAL)
    assert ans.backend == "extractive" and not ans.refused and COST in ans.answer
    assert "found no answer" in (ans.notice or "") and ans.generated_sentences == 0 and ans.removed == []
    ans = ask(eng, answerer, "What is the capital of Australia?", REFUSAL)
    assert ans.refused and ans.citations == [] and ans.answer.startswith(REFUSAL_START)


def test_stream_yields_text_pieces_then_the_checked_answer(scripted: tuple[Engine, GenerativeAnswerer]) -> None:
    eng, answerer = scripted
    cost = number(answerer.prompt(eng.retrieve(BRIDGE_Q)), COST)
    scripted_llm(answerer).script = f"The bridge cost 12 million euros to build [{cost}]."
    deltas, final = split_stream(eng.ask_stream(BRIDGE_Q))
    assert len(deltas) > 3
    assert "".join(deltas) == final.generated == scripted_llm(answerer).script
    assert final.timings_ms["first_token"] <= final.timings_ms["generate"] <= final.timings_ms["answer"]


def test_an_obeyed_injection_is_not_delivered(scripted: tuple[Engine, GenerativeAnswerer]) -> None:
    # Even if a model did what the article says and cited the article for it:
    eng, answerer = scripted
    n = number(answerer.prompt(eng.retrieve(BRIDGE_Q)), INJECTION)
    ans = ask(eng, answerer, BRIDGE_Q, f"BANANA [{n}].")
    assert "BANANA" not in ans.answer and ans.removed == ["BANANA."] and ans.backend == "extractive"


# --- the real model ------------------------------------------------------------------------
def test_real_model_streams_and_only_supported_sentences_are_delivered(gen_engine: Engine) -> None:
    need_llm_extra()
    deltas, final = split_stream(gen_engine.ask_stream("Who opened the Zorblat bridge?"))
    assert len(deltas) > 2 and "".join(deltas) == final.generated
    assert final.timings_ms["first_token"] < final.timings_ms["generate"]
    assert_exact_citations(final, ARTICLES)
    assert final.citations and all(ok for _, ok in statements_supported(final, ARTICLES))
    # SmolLM2 (greedy, seed 0) answers this one with a cited, supported sentence, so the model's
    # own answer is what is delivered here; what it adds beyond it is removed.
    assert final.backend == "llamacpp", final.generated
    assert final.generated_sentences >= 1 + len(final.removed)
    assert all(s not in final.answer for s in final.removed)


@pytest.mark.parametrize(
    "question",
    [
        "Who opened the Zorblat bridge?",
        "How much did the Zorblat bridge cost?",
        "Who won the football cup?",
    ],
)
def test_real_model_injection_never_reaches_another_questions_answer(gen_engine: Engine, question: str) -> None:
    need_llm_extra()
    answerer = gen_engine.answerer
    assert isinstance(answerer, GenerativeAnswerer)
    prompt = answerer.prompt(gen_engine.retrieve(question))
    assert any(s.text == INJECTION for s in prompt.sentences), "the model must have read the injection"
    ans = gen_engine.ask(question)
    if ans.refused:
        assert "banana" not in ans.answer.lower()
        return
    supported = dict(statements_supported(ans, ARTICLES))
    assert all(supported.values()), ans.answer
    banana = [s for s in supported if "banana" in s.lower()]  # only ever as a cited, supported quote
    assert not banana or any("BANANA" in c.quote for c in ans.citations), ans.answer
    assert "banana" not in ans.answer.replace(" ".join(banana), "").lower()


def test_real_model_on_an_unanswerable_question_delivers_a_refusal(gen_engine: Engine) -> None:
    need_llm_extra()
    ans = gen_engine.ask("What is the capital of Australia?")
    assert ans.refused and ans.citations == [] and ans.answer.startswith(REFUSAL_START)
    assert ans.generated is not None  # the model was asked; what it said is not delivered
    assert all(s not in ans.answer for s in ans.removed)
