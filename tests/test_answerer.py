from __future__ import annotations

from rag import Article
from rag.answerer import ExtractiveAnswerer, candidate_sentences, lexical_coverage
from rag.config import RagConfig
from rag.embedder import Embedder
from rag.keyword_index import KeywordIndex, terms

ART = Article(id="a", title="T", text=(
    "The mayor opened a bridge on Monday. The bridge cost 12 million dollars to build. "
    "Residents were happy. The mayor opened a bridge on Monday, officials said."))


def index() -> KeywordIndex:
    return KeywordIndex.build([("c1", ART.text, 0, "", "a")])


def test_lexical_coverage_is_a_share() -> None:
    idx = index()
    q = terms("How much did the bridge cost?")
    assert lexical_coverage(q, "The bridge cost 12 million dollars to build.", idx) == 1.0
    assert lexical_coverage(q, "Residents were happy.", idx) == 0.0


def test_candidates_carry_exact_offsets() -> None:
    cands = candidate_sentences("bridge cost", [(ART, 0, len(ART.text))], index())
    assert cands and all(ART.text[c.start : c.end] == c.text for c in cands)
    assert "Residents were happy." not in [c.text for c in cands]  # too short to quote


def test_best_sentence_is_cited_and_duplicates_dropped(embedder: Embedder) -> None:
    cfg = RagConfig()
    ans = ExtractiveAnswerer(embedder, cfg)
    q = "How much did the bridge cost?"
    q_vec = embedder.embed([q])[0]
    ranked = ans.score(q, q_vec, candidate_sentences(q, [(ART, 0, len(ART.text))], index()))
    chosen = ans.choose(ranked)
    assert chosen[0].text == "The bridge cost 12 million dollars to build."
    text, short, cites = ans.answer(q, chosen)
    assert short == "12 million" and text.startswith("12 million. ")
    assert cites[0].quote == chosen[0].text and cites[0].n == 1
    texts = [c.text for c in chosen]
    assert not ("The mayor opened a bridge on Monday." in texts
                and "The mayor opened a bridge on Monday, officials said." in texts)


def test_refuses_below_threshold(embedder: Embedder) -> None:
    ans = ExtractiveAnswerer(embedder, RagConfig(refusal_threshold=0.99))
    q = "How much did the bridge cost?"
    ranked = ans.score(q, embedder.embed([q])[0], candidate_sentences(q, [(ART, 0, len(ART.text))], index()))
    assert ranked and ans.choose(ranked) == []
