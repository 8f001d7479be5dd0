"""Sentence entities stored at ingest (rag.store.sentence_entities): every sentence the span finder
reads has them, the same as NER finds at question time; they follow their article, a store made
without them is filled by the next ingest, and a question over a store that has them all never
loads spaCy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hash_embedder import HashEmbedder
from rag import Answer, Article, Engine, RagConfig
from rag.answerers.reader import pool
from rag.eval.startup import child_env
from rag.store.sentence_entities import pack, unpack
from rag.text import entities as entities_module
from rag.text.entities import ner

TEXT = (
    "The council of Riverton approved a new bridge on Monday. It will cost 40 million dollars. "
    "Construction starts in May and ends in 2027. The mayor, Ana Ruiz, called it overdue."
)
QUESTION = "How much will the Riverton bridge cost?"


def art(i: int, text: str = TEXT) -> Article:
    return Article(id=f"a{i}", title=f"Story {i}", text=f"{text} Item {i} of the series is here.")


def read(engine: Engine, question: str) -> tuple[dict[tuple[str, int, int], str], dict[tuple[str, int, int], list]]:
    """(the sentences the reader reads for `question`, by key; the entities stored for them)."""
    r = engine.retrieve(question)
    wanted = {(s.passage.article.id, s.start, s.end): s.passage.article.text[s.start : s.end] for s in pool(r.passages)}
    assert r.sentence_entities == engine.store.sentence_entities
    return wanted, engine.store.sentence_entities(set(wanted))


def same(a: Answer, b: Answer) -> bool:
    """The same answer, whatever it took."""
    return a.model_dump(exclude={"timings_ms"}) == b.model_dump(exclude={"timings_ms"})


def test_pack_round_trip() -> None:
    spans = [(0, 10), (11, 30)]
    found = [[(0, 4, "ORG")], []]
    assert unpack("x", pack(spans, found)) == {("x", 0, 10): found[0], ("x", 11, 30): []}
    assert unpack("x", pack(spans, found), wanted={(11, 30)}) == {("x", 11, 30): []}
    with pytest.raises(ValueError, match="2 sentences but 1"):
        pack(spans, found[:1])


def test_every_sentence_read_has_the_entities_ner_finds(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.ingest_articles([art(1), art(2, "A storm hit the coast on Friday. Ten homes lost power.")], progress=False)
    wanted, stored = read(engine, QUESTION)
    assert wanted and set(stored) == set(wanted)
    assert [stored[k] for k in wanted] == ner(list(wanted.values()))
    assert any(label == "MONEY" for ents in stored.values() for _, _, label in ents)
    before = engine.ask(QUESTION)
    # with every sentence's entities stored, a question runs no NER
    monkeypatch.setattr(entities_module, "_nlp", lambda: pytest.fail("NER ran on a stored sentence"))
    assert same(engine.ask(QUESTION), before)


def test_stored_entities_follow_their_article(engine: Engine) -> None:
    engine.ingest_articles([art(1)], progress=False)
    _, old = read(engine, "Riverton bridge cost")
    engine.ingest_articles(
        [art(1, "The bridge plan was dropped in a vote on Tuesday. Nobody objected.")], progress=False
    )
    wanted, new = read(engine, "Riverton bridge plan")
    assert set(new) == set(wanted) and not engine.store.sentence_entities(set(old) - set(new))
    engine.delete("a1")
    assert engine.store.sentence_entities(set(new)) == {}
    assert engine.store.db.sentence_entities(["a1"]) == []


def test_a_store_made_without_them_is_filled_by_the_next_ingest(tmp_path: Path) -> None:
    fake = HashEmbedder()
    off = RagConfig(store=tmp_path / "s", sentence_entities=False)
    with Engine(config=off, embedder=fake) as eng:
        eng.ingest_articles([art(1), art(2)], progress=False)
        assert eng.store.db.without_sentence_entities() == ["a1", "a2"]
        before = eng.ask(QUESTION)  # NER at question time
    with Engine(config=off.model_copy(update={"sentence_entities": True}), embedder=fake) as eng:
        report = eng.ingest_articles([art(3, "A storm hit the coast on Friday. Ten homes lost power.")], progress=False)
        assert report.added == ["a3"] and eng.store.db.without_sentence_entities() == []
        wanted, stored = read(eng, QUESTION)
        assert set(stored) == set(wanted)
        after = eng.ask(QUESTION)
    assert same(after, before)


@pytest.mark.model
def test_a_question_over_a_store_with_them_never_loads_spacy(seed_store: Path) -> None:
    """What `rag ask` saves: spaCy's import and load (0.6 s on this machine) and NER."""
    code = (
        "import sys; from pathlib import Path; from rag import Engine\n"
        f"eng = Engine(store=Path({str(seed_store)!r}))\n"
        "a = eng.ask('Who guaranteed the security of Russian bases?')\n"
        "print('spacy' in sys.modules, bool(a.citations), a.short_answer)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_env())
    spacy_loaded, cited, _ = out.stdout.split(maxsplit=2)
    assert (spacy_loaded, cited) == ("False", "True"), out.stdout
