from __future__ import annotations

from hash_embedder import HashEmbedder
from rag import REFUSAL_START, Answer, Article, Embedder, ExtractiveAnswerer, Passage, RagConfig, Retrieval
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
# keeps these tests about citing, not about calibration (eval/results/reader.md covers that).
LOW = RagConfig(refusal_threshold=0.05)
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
    assert sure.short_answer == "12 million" and sure.answer.startswith("12 million. ")
    unsure = ExtractiveAnswerer(embedder, LOW.model_copy(update={"short_answer_min_conf": 1.0})).answer(
        retrieval(q, embedder)
    )
    assert unsure.short_answer is None and unsure.answer.startswith("The bridge cost")
