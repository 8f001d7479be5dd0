from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rag import Article, Engine, Failure
from rag.store import ingest_articles


def art(i: int, text: str | None = None, source: str = "") -> Article:
    return Article(
        id=f"a{i}",
        title=f"Story {i}",
        source=source,
        text=text or f"Story {i} begins here. The town of Place{i} held a fair. It rained.",
    )


def chroma_ids(engine: Engine) -> set[str]:
    return set(engine.store.vectors.collection.get(include=[])["ids"])


def test_reingest_embeds_nothing_and_adds_no_duplicates(engine: Engine) -> None:
    first = engine.ingest_articles([art(1), art(2)], progress=False)
    assert sorted(first.added) == ["a1", "a2"] and first.chunks_embedded > 0
    before = chroma_ids(engine)
    again = engine.ingest_articles([art(1), art(2)], progress=False)
    assert again.added == [] and again.updated == [] and sorted(again.unchanged) == ["a1", "a2"]
    assert again.chunks_embedded == 0
    assert chroma_ids(engine) == before
    assert "unchanged 2" in again.summary() and "embedded 0 chunks" in again.summary()


def test_changed_article_replaces_its_chunks(engine: Engine) -> None:
    engine.ingest_articles([art(1)], progress=False)
    old = chroma_ids(engine)
    rep = engine.ingest_articles(
        [art(1, "A new version of the story. Completely different words now.")], progress=False
    )
    assert rep.updated == ["a1"]
    new = chroma_ids(engine)
    assert new and not (new & old)  # old chunks gone, new ones in
    assert engine.stats().chunks == len(new)
    assert engine.store.keywords.n_docs == len(new)
    assert "Completely different" in engine.articles(["a1"])["a1"].text


def test_metadata_change_is_an_update(engine: Engine) -> None:
    engine.ingest_articles([art(1)], progress=False)
    rep = engine.ingest_articles([art(1, source="cnn.com")], progress=False)
    assert rep.updated == ["a1"]


def test_failures_are_reported_and_lose_nothing(engine: Engine, tmp_path: Path) -> None:
    engine.ingest_articles([art(1)], progress=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a9", "text": "Good record here."}\n{oops\n')
    rep = engine.ingest([bad, tmp_path / "nope.txt"], progress=False)
    assert rep.added == ["a9"]
    assert len(rep.failed) == 2 and "invalid JSON" in rep.summary()
    assert engine.stats().articles == 2  # a1 still there


def test_same_id_twice_in_one_run_keeps_last(engine: Engine) -> None:
    rep = engine.ingest_articles([art(1), art(1, "Second text wins. It is longer than before.")], progress=False)
    assert rep.updated == ["a1"]
    assert "Second text wins" in engine.articles(["a1"])["a1"].text
    assert engine.stats().chunks == len(chroma_ids(engine))


def test_progress_callback(engine: Engine) -> None:
    seen: list[tuple[int, int | None]] = []
    engine.ingest_articles(
        [art(1), Failure(path="x", reason="r"), art(2)], progress=False, on_progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_ingest_streams_its_input(engine: Engine) -> None:
    """A generator is consumed batch by batch, not listed first: the first batches are stored
    while later items have not been made yet (the splitter runs at most two batches ahead)."""
    stored_when_made: list[int] = []

    def items() -> Iterator[Article]:
        for i in range(1, 9):
            stored_when_made.append(engine.stats().articles)
            yield art(i)

    seen: list[tuple[int, int | None]] = []
    ingest_articles(
        engine.store,
        engine.embedder.embed,
        items(),
        progress=False,
        on_progress=lambda d, t: seen.append((d, t)),
        batch_chunks=1,  # one article a batch
    )
    assert stored_when_made[0] == 0 and stored_when_made[-1] >= 1
    assert seen[-1] == (8, None)  # no total for a stream
