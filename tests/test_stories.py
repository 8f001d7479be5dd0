"""Stories (rag.text.stories, found at ingest): a copy or an updated version of an article joins
its story, a different article does not; `rag stats` counts stories; an answer says how many
other articles carry the cited one's story and never quotes two copies of one story."""

from __future__ import annotations

from pathlib import Path

from hash_embedder import HashEmbedder
from rag import Article, Engine, RagConfig
from rag.text.stories import StoryIndex, signature

BRIDGE = (
    "Vigo opens its new bridge\n\nThe mayor of Vigo, Ana Ferreira, opened the new Rande bridge on Monday "
    "morning after four years of building work that cost 212 million euros. The bridge carries four lanes "
    "of traffic and a cycle path across the estuary. Ferreira said the bridge would cut the journey to the "
    "airport by twenty minutes. Local businesses welcomed the opening, and the first lorries crossed at noon. "
    "The regional government paid for a third of the cost, the rest came from European funds."
)
UPDATED = BRIDGE.replace("the first lorries crossed at noon", "the first lorries crossed shortly after noon")
OTHER = (
    "Storm closes Porto harbour\n\nThe harbour master of Porto closed the port on Tuesday because of the "
    "storm, which brought waves of nine metres. Ferries to the islands were cancelled until Thursday, and "
    "fishing boats stayed in the harbour. The storm is expected to weaken by the weekend."
)


def test_a_copy_and_an_update_join_the_story_another_article_does_not() -> None:
    index = StoryIndex()
    index.add("a", "a", signature(BRIDGE))
    assert index.story_of("b", signature(BRIDGE)) == "a"  # the same text
    assert index.story_of("c", signature(UPDATED)) == "a"  # one phrase edited
    assert index.story_of("d", signature(OTHER)) == "d"  # a story of its own
    index.remove("a")
    assert index.story_of("c", signature(UPDATED)) == "c" and len(index) == 0


def engine(tmp: Path, embedder: HashEmbedder, **cfg: object) -> Engine:
    return Engine(config=RagConfig(store=tmp / "s", **cfg), embedder=embedder)  # type: ignore[arg-type]


def test_stories_are_counted_and_cited_once(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    arts = [
        Article(id="bridge", title="Vigo opens its new bridge", source="a.example", text=BRIDGE),
        Article(id="bridge-copy", title="Vigo bridge opens", source="b.example", text=UPDATED),
        Article(id="storm", title="Storm closes Porto harbour", source="c.example", text=OTHER),
    ]
    with engine(tmp_path, fake_embedder) as eng:
        eng.ingest_articles(arts, progress=False)
        s = eng.stats()
        assert (s.articles, s.stories) == (3, 2)
        assert eng.store.db.get("bridge-copy").story == "bridge"  # type: ignore[union-attr]
        ans = eng.ask("Who opened the new Rande bridge in Vigo?")
        assert not ans.refused and ans.citations
        assert ans.citations[0].also_in == 1  # the other article of its story
        assert len({c.article_id for c in ans.citations if c.story == "bridge"}) == 1  # one copy quoted
        eng.delete("bridge")  # the copy stays, a story of one now
        assert eng.stats().stories == 2
        assert eng.ask("Who opened the new Rande bridge in Vigo?").citations[0].also_in == 0


def test_without_stories_both_copies_would_be_quoted(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    """The planted fault: with `one_article_per_story` off, the copy comes back as a runner-up,
    so the test above checks something that can fail."""
    arts = [
        Article(id="bridge", text=BRIDGE),
        Article(id="bridge-copy", text=UPDATED.replace("Ana Ferreira", "Ana Ferreira, 52,")),
    ]
    asked = {}
    for flag in (True, False):
        with engine(tmp_path / str(flag), fake_embedder, one_article_per_story=flag) as eng:
            eng.ingest_articles(arts, progress=False)
            ans = eng.ask("Who opened the new Rande bridge in Vigo?")
            asked[flag] = {c.article_id for c in ans.citations}
    assert len(asked[True]) == 1 and asked[False] == {"bridge", "bridge-copy"}


def test_a_store_without_stories_gets_them_at_the_next_ingest(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    import sqlite3

    arts = [Article(id="x", text=BRIDGE), Article(id="y", text=UPDATED), Article(id="z", text=OTHER)]
    with engine(tmp_path, fake_embedder) as eng:
        eng.ingest_articles(arts, progress=False)
    with sqlite3.connect(tmp_path / "s" / "articles.sqlite") as conn:  # as stored before stories
        conn.execute("DELETE FROM signatures")
        conn.execute("UPDATE articles SET story = ''")
    with engine(tmp_path, fake_embedder) as eng:
        assert eng.stats().stories == 3
        rep = eng.ingest_articles(arts, progress=False)
        assert rep.chunks_embedded == 0 and len(rep.unchanged) == 3  # nothing embedded again
        assert eng.stats().stories == 2
