"""Sentence vectors stored at ingest (rag.store.sentence_vectors): every sentence the reader can
read has one, a question then embeds only itself, and the stored vectors follow their article
through replacement, deletion and a store made without them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hash_embedder import DIM, HashEmbedder
from rag import Article, Engine, RagConfig
from rag.answerers.reader import pool
from rag.store.sentence_vectors import pack, unpack

TEXT = (
    "The council of Riverton approved a new bridge on Monday. It will cost 40 million dollars. "
    "Construction starts in May and ends in 2027. The mayor, Ana Ruiz, called it overdue."
)


def art(i: int, text: str = TEXT) -> Article:
    return Article(id=f"a{i}", title=f"Story {i}", text=f"{text} Item {i} of the series is here.")


def keys(engine: Engine, question: str) -> tuple[set[tuple[str, int, int]], set[tuple[str, int, int]]]:
    """(the keys of the sentences the reader reads for `question`, those stored)."""
    r = engine.retrieve(question)
    wanted = {(s.passage.article.id, s.start, s.end) for s in pool(r.passages)}
    assert r.sentence_vectors == engine.store.sentence_vectors
    return wanted, set(engine.store.sentence_vectors(wanted))


def test_pack_round_trip_keeps_cosines() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    spans = [(i * 10, i * 10 + 9) for i in range(50)]
    got = unpack("x", *pack(spans, v))
    assert list(got) == [("x", s, e) for s, e in spans]
    back = np.stack(list(got.values()))
    assert np.abs(np.sum(back * v, axis=1) - 1).max() < 1e-3  # int8: a cosine moves by ~1e-4
    assert unpack("x", *pack([], np.zeros((0, 384), np.float32))) == {}


def test_every_sentence_read_is_stored_and_a_question_embeds_only_itself(engine: Engine) -> None:
    fake = engine.embedder
    assert isinstance(fake, HashEmbedder)
    engine.ingest_articles([art(1), art(2, "A storm hit the coast on Friday. Ten homes lost power.")], progress=False)
    wanted, stored = keys(engine, "How much will the Riverton bridge cost?")
    assert wanted and wanted <= stored
    before = fake.calls
    ranked = engine.answerer.rank(engine.retrieve("How much will the Riverton bridge cost?"))  # type: ignore[attr-defined]
    assert len(ranked) == len(wanted)
    assert fake.calls - before == 1  # the query; the sentences were read, not embedded


def test_stored_vectors_follow_their_article(engine: Engine) -> None:
    engine.ingest_articles([art(1)], progress=False)
    _, old = keys(engine, "Riverton bridge cost")
    engine.ingest_articles(
        [art(1, "The bridge plan was dropped in a vote on Tuesday. Nobody objected.")], progress=False
    )
    wanted, new = keys(engine, "Riverton bridge plan")
    assert wanted <= new and not engine.store.sentence_vectors(old - new)  # the old sentences' are gone
    engine.delete("a1")
    assert engine.store.sentence_vectors(new) == {}
    assert engine.store.db.sentence_vectors(["a1"]) == []


def test_a_store_made_without_them_is_filled_by_the_next_ingest(tmp_path: Path) -> None:
    fake = HashEmbedder()
    off = RagConfig(store=tmp_path / "s", sentence_vectors=False)
    with Engine(config=off, embedder=fake) as eng:
        eng.ingest_articles([art(1), art(2)], progress=False)
        assert eng.store.db.without_sentence_vectors() == ["a1", "a2"]
        before = eng.ask("How much will the Riverton bridge cost?")  # the sentences embedded now
    with Engine(config=off.model_copy(update={"sentence_vectors": True}), embedder=fake) as eng:
        report = eng.ingest_articles([art(3, "A storm hit the coast on Friday. Ten homes lost power.")], progress=False)
        assert report.added == ["a3"] and eng.store.db.without_sentence_vectors() == []
        wanted, stored = keys(eng, "How much will the Riverton bridge cost?")
        assert wanted <= stored
        after = eng.ask("How much will the Riverton bridge cost?")
    # the stored vectors are the embedder's, to int8 precision: the same answer, the same support
    assert after.answer == before.answer and abs(after.support - before.support) < 1e-3


class NeighbourEmbedder(HashEmbedder):
    """A planted fault of the real model in bf16: a vector moves with the texts it is embedded
    beside (there: the padding of its group of 4)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        v = super().embed(texts)
        return v + 1e-2 * len(texts) / DIM


def test_a_sentence_vector_does_not_depend_on_the_articles_ingested_beside_it(tmp_path: Path) -> None:
    """A store mended after a crash (its sentences filled, articles in other batches) must answer
    like one built in one go: an article's stored vectors are the same alone or in any batch."""
    rows = []
    for i, batch in enumerate([[art(1)], [art(1), art(2, "A storm hit the coast. Ten homes lost power.")]]):
        with Engine(config=RagConfig(store=tmp_path / f"s{i}"), embedder=NeighbourEmbedder()) as eng:
            eng.ingest_articles(batch, progress=False)
            rows.append(eng.store.db.sentence_vectors(["a1"]))
    assert rows[0] and rows[0] == rows[1]
