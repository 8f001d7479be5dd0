from __future__ import annotations

from rag import Answer, Article, Passage, Retrieval
from rag.answerers import ExtractiveAnswerer
from rag.answerers.extractive import candidate_sentences, lexical_coverage
from rag.config import RagConfig
from rag.embedder import Embedder
from rag.keyword_index import KeywordIndex, terms

ART = Article(id="a", title="T", text=(
    "The mayor opened a bridge on Monday. The bridge cost 12 million dollars to build. "
    "Residents were happy. The mayor opened a bridge on Monday, officials said."))
PASSAGES = [Passage(article=ART, start=0, end=len(ART.text), rank=0, score=1.0)]


def index() -> KeywordIndex:
    return KeywordIndex.build([("c1", ART.text, 0, "", "a")])


def retrieval(q: str, embedder: Embedder) -> Retrieval:
    return Retrieval(question=q, query=q, query_vector=embedder.embed([q])[0], passages=PASSAGES,
                     idf=index().idf)


def test_lexical_coverage_is_a_share() -> None:
    idx = index()
    q = terms("How much did the bridge cost?")
    assert lexical_coverage(q, "The bridge cost 12 million dollars to build.", idx.idf) == 1.0
    assert lexical_coverage(q, "Residents were happy.", idx.idf) == 0.0


def test_candidates_carry_exact_offsets() -> None:
    cands = candidate_sentences("bridge cost", PASSAGES, index().idf)
    assert cands and all(ART.text[c.start : c.end] == c.text for c in cands)
    assert "Residents were happy." not in [c.text for c in cands]  # too short to quote


def test_best_sentence_is_cited_and_duplicates_dropped(embedder: Embedder) -> None:
    q = "How much did the bridge cost?"
    ans = ExtractiveAnswerer(embedder, RagConfig()).answer(retrieval(q, embedder))
    assert not ans.refused and ans.backend == "extractive"
    assert ans.citations[0].quote == "The bridge cost 12 million dollars to build."
    assert ans.short_answer == "12 million" and ans.answer.startswith("12 million. ")
    assert ans.citations[0].n == 1 and "[1]" in ans.answer
    quotes = [c.quote for c in ans.citations]
    assert not ("The mayor opened a bridge on Monday." in quotes
                and "The mayor opened a bridge on Monday, officials said." in quotes)


def test_refuses_below_threshold(embedder: Embedder) -> None:
    answerer = ExtractiveAnswerer(embedder, RagConfig(refusal_threshold=0.99))
    r = retrieval("How much did the bridge cost?", embedder)
    assert answerer.rank(r)  # sentences were scored ...
    ans = answerer.answer(r)  # ... but none is good enough
    assert ans.refused and ans.citations == [] and ans.answer.startswith("The articles don't say")


def test_stream_ends_with_the_answer(embedder: Embedder) -> None:
    pieces = list(ExtractiveAnswerer(embedder, RagConfig()).stream(retrieval("How much did the bridge cost?", embedder)))
    final = pieces[-1]
    assert isinstance(final, Answer) and not final.refused
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)) == final.answer
