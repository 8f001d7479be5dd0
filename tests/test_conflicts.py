from pathlib import Path

from hash_embedder import HashEmbedder
from rag import Article, Engine, RagConfig
from rag.answerers.conflicts import find_conflict
from rag.answerers.extractive import Candidate

TRUE = "The game was played on February 7, 2021, at Raymond James Stadium in Tampa, Florida."
FAKE = "The game was played on February 7, 2021, at Raymond James Stadium in Glendale, Arizona."
CFG = RagConfig()


def cand(aid: str, text: str, score: float = 0.6) -> Candidate:
    return Candidate(Article(id=aid, text=text), 0, len(text), 0, score=score)


def test_swapped_place_between_articles_is_a_conflict() -> None:
    c = find_conflict([cand("a", TRUE), cand("b", FAKE)], CFG)
    assert c is not None and (c.a_value, c.b_value) == ("Tampa, Florida", "Glendale, Arizona")
    assert c.a_value in TRUE and c.b_value in FAKE  # verbatim, so the notice can be checked


def test_no_conflict_when_agreeing_same_article_or_weak() -> None:
    assert find_conflict([cand("a", TRUE), cand("b", TRUE)], CFG) is None
    assert find_conflict([cand("a", TRUE), cand("a", FAKE)], CFG) is None  # one article
    assert find_conflict([cand("a", TRUE, 0.9), cand("b", FAKE, 0.3)], CFG) is None  # far weaker
    other = "Officials said the stadium would host a concert in June."
    assert find_conflict([cand("a", TRUE), cand("b", other)], CFG) is None
    # a capitalised sentence opener or a spelling variant is not a swapped fact
    s1, s2 = "Well, the album Renaissance comes out in July.", "Now, the album Rennaisance comes out in July."
    assert find_conflict([cand("a", s1), cand("b", s2)], CFG) is None


def test_engine_flags_and_cites_both_sides(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    with Engine(store=tmp_path / "s", embedder=fake_embedder) as eng:
        eng.ingest_articles(
            [Article(id="t", title="t", text=TRUE), Article(id="f", title="f", text=FAKE)], progress=False
        )
        ans = eng.ask("Where was the game played on February 7, 2021?")
    assert not ans.refused and ans.conflict and ans.conflict in ans.answer
    assert {c.article_id for c in ans.citations} == {"t", "f"}
    assert "Tampa, Florida" in ans.conflict and "Glendale, Arizona" in ans.conflict
    assert ans.to_json_dict()["conflict"] == ans.conflict
