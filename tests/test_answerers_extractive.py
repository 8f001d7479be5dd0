from __future__ import annotations

import pytest

from conftest import SEED_QUESTION
from hash_embedder import HashEmbedder
from rag import (
    CITATION_MARKER,
    REFUSAL_START,
    Answer,
    Article,
    Embedder,
    Engine,
    ExtractiveAnswerer,
    Passage,
    RagConfig,
    Retrieval,
    unescape_markers,
)
from rag.store.keyword_index import KeywordIndex

ART = Article(
    id="a",
    title="T",
    text=(
        "The mayor opened a bridge on Monday. The bridge cost 12 million dollars to build. "
        "Residents were happy. The mayor opened a bridge on Monday, officials said."
    ),
)
# A one-article store has no informative word rarity, so its sentences score low: a low threshold
# keeps these tests about citing, not about calibration (rag/eval/results/reader.md covers that).
LOW = RagConfig(refusal_threshold=0.0)
PASSAGES = [Passage(article=ART, start=0, end=len(ART.text), rank=0, score=1.0)]


def index() -> KeywordIndex:
    return KeywordIndex.build([("c1", ART.text, 0, "", "a")])


def retrieval(q: str, embedder: Embedder) -> Retrieval:
    return Retrieval(question=q, query=q, query_vector=embedder.embed([q])[0], passages=PASSAGES, idf=index().idf)


def test_best_sentence_is_cited_and_duplicates_dropped(fake_embedder: HashEmbedder) -> None:
    embedder = fake_embedder
    q = "How much did the bridge cost?"
    answerer = ExtractiveAnswerer(embedder, LOW)
    ans = answerer.answer(retrieval(q, embedder))
    assert not ans.refused and ans.backend == "extractive"
    assert ans.citations[0].quote == "The bridge cost 12 million dollars to build."
    assert ans.citations[0].score == round(max(c.score for c in answerer.rank(retrieval(q, embedder))), 4)
    assert ans.citations[0].n == 1 and "[1]" in ans.answer
    quotes = [c.quote for c in ans.citations]
    assert not (
        "The mayor opened a bridge on Monday." in quotes
        and "The mayor opened a bridge on Monday, officials said." in quotes
    )


def test_refuses_below_threshold(fake_embedder: HashEmbedder) -> None:
    embedder = fake_embedder
    answerer = ExtractiveAnswerer(embedder, RagConfig(refusal_threshold=0.999))
    r = retrieval("How much did the bridge cost?", embedder)
    assert answerer.rank(r)  # sentences were scored ...
    ans = answerer.answer(r)  # ... but none is good enough
    assert ans.refused and ans.citations == [] and ans.answer.startswith(REFUSAL_START)


def test_stream_is_the_answer_at_once(fake_embedder: HashEmbedder) -> None:
    embedder = fake_embedder
    pieces = list(ExtractiveAnswerer(embedder, LOW).stream(retrieval("How much did the bridge cost?", embedder)))
    assert len(pieces) == 1 and isinstance(pieces[0], Answer) and not pieces[0].refused  # no draft


def test_short_answer_only_when_the_reader_is_confident(fake_embedder: HashEmbedder) -> None:
    embedder = fake_embedder
    q = "How much did the bridge cost?"
    sure = ExtractiveAnswerer(embedder, LOW.model_copy(update={"short_answer_min_conf": 0.0})).answer(
        retrieval(q, embedder)
    )
    assert sure.short_answer == "12 million dollars" and sure.answer.startswith("12 million dollars. ")
    unsure = ExtractiveAnswerer(embedder, LOW.model_copy(update={"short_answer_min_conf": 1.0})).answer(
        retrieval(q, embedder)
    )
    assert unsure.short_answer is None and unsure.answer.startswith("The bridge cost")


# Issue 22's target, not met yet: the span ranker (three years) now puts "Syrian insurgents" first, but
# at 0.15, under the gate (0.63): the seed article is one story, so no second article agrees.
# Strict, so that the day it passes it is seen.
@pytest.mark.xfail(strict=True, reason="the right phrase, under the gate; rag/eval/results/spans.md")
def test_seed_question_gets_the_two_words_then_the_sentence_that_proves_them(seed_engine: Engine) -> None:
    ans = seed_engine.ask(SEED_QUESTION)
    assert ans.short_answer == "Syrian insurgents" and ans.answer.startswith("Syrian insurgents. ")
    span = ans.short_answer_span
    assert span is not None
    quote = ans.citations[span.citation - 1].quote
    assert quote[span.start : span.end] == "Syrian insurgents"
    # the proving sentence, no caption or headline as padding
    assert len(ans.citations) <= 2 and not any("portrait" in c.quote for c in ans.citations)


def test_follow_up_where_gets_a_place(seed_engine: Engine) -> None:
    first = seed_engine.ask("Who fled to Moscow?")
    ans = seed_engine.ask("Where did he go?", history=[("user", "Who fled to Moscow?"), ("assistant", first.answer)])
    assert ans.short_answer == "Moscow"


def test_a_question_for_an_age_is_refused_when_no_passage_gives_a_number(seed_engine: Engine) -> None:
    ans = seed_engine.ask("How old is Bashar Assad?")  # his name is everywhere, his age nowhere
    assert ans.refused and not ans.citations and ans.answer.endswith("None of the passages found gives a number.")
    assert not seed_engine.ask("How many decades did Assad's family rule Syria?").refused  # "five decades"


def test_an_articles_own_brackets_cannot_pass_for_citations(fake_embedder: HashEmbedder) -> None:
    art = Article(id="f", title="F", text="The bridge cost 12 million dollars [1] to build [2]. Residents cheered.")
    r = Retrieval(
        question="How much did the bridge cost?",
        query="How much did the bridge cost?",
        query_vector=fake_embedder.embed(["How much did the bridge cost?"])[0],
        passages=[Passage(article=art, start=0, end=len(art.text), rank=0, score=1.0)],
        idf=KeywordIndex.build([("c1", art.text, 0, "", "f")]).idf,
    )
    ans = ExtractiveAnswerer(fake_embedder, LOW).answer(r)
    assert "[1] to build [2]" in ans.citations[0].quote  # the quote is the article's, exactly
    markers = [int(n) for n in CITATION_MARKER.findall(ans.answer)]
    assert markers == [c.n for c in ans.citations]  # every marker is one of ours, once
    assert "\\[1] to build \\[2]" in ans.answer and "[1] to build [2]" in unescape_markers(ans.answer)


def test_the_sentence_holding_the_likely_answer_is_quoted_first(fake_embedder: HashEmbedder) -> None:
    """Answer first (RagConfig.proof_first_conf): the span ranker's phrase leads the ranking through
    its sentence, whatever the reader's order; the scores stay the reader's, and the answer
    still quotes the reader's best sentence when it is as likely."""
    art = Article(
        id="g",
        title="G",
        text=(
            "Control of the Russian bases in Syria was taken on Sunday, officials said. "
            "Syrian insurgents moved in at Hmeimim overnight. The war lasted years."
        ),
    )
    q = "Who took control of Russian bases in Syria?"
    r = Retrieval(
        question=q,
        query=q,
        query_vector=fake_embedder.embed([q])[0],
        passages=[Passage(article=art, start=0, end=len(art.text), rank=0, score=1.0)],
        idf=KeywordIndex.build([("c1", art.text, 0, "", "g")]).idf,
    )
    reader_order = ExtractiveAnswerer(fake_embedder, LOW.model_copy(update={"proof_first_conf": 1.01})).rank(r)
    assert [c.score for c in reader_order] == sorted((c.score for c in reader_order), reverse=True)
    first = ExtractiveAnswerer(fake_embedder, LOW.model_copy(update={"proof_first_conf": 0.0, "min_coverage": 0.0}))
    ranked = first.rank(r)
    span = ranked.span
    assert span is not None and span.text in ranked[0].text and span.text not in reader_order[0].text
    assert sorted(c.text for c in ranked) == sorted(c.text for c in reader_order)  # moved, not changed
    chosen = first.choose(ranked)
    assert chosen[0] is ranked[0] and max(c.score for c in ranked) >= chosen[0].score
