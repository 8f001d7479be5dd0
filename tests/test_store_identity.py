"""A store knows itself: an emptied or swapped articles.sqlite is refused, and nothing is lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hash_embedder import HashEmbedder
from rag import Article, Engine, StoreError

ARTS = [Article(id=f"a{i}", title=f"T{i}", text=f"Story {i}. The council met on day {i}.") for i in range(3)]


def made(tmp_path: Path, fake_embedder: HashEmbedder) -> Path:
    store = tmp_path / "store"
    with Engine(store=store, embedder=fake_embedder) as eng:
        eng.ingest_articles(ARTS, progress=False)
    return store


def test_every_write_records_the_store_id_and_count(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    store = made(tmp_path, fake_embedder)
    known = json.loads((store / "store.json").read_text())
    assert known["articles"] == 3 and len(known["id"]) == 32
    with Engine(store=store, embedder=fake_embedder) as eng:
        eng.delete("a0")
        assert eng.stats().articles == 2
    again = json.loads((store / "store.json").read_text())
    assert again == {"id": known["id"], "articles": 2}


@pytest.mark.parametrize("fault", ["truncated", "deleted", "another store's"])
def test_an_emptied_or_swapped_database_is_refused_and_repair_deletes_nothing(
    fault: str, tmp_path: Path, fake_embedder: HashEmbedder
) -> None:
    store = made(tmp_path, fake_embedder)
    vectors_before = sorted(p.relative_to(store).as_posix() for p in (store / "chroma").rglob("*") if p.is_file())
    db = store / "articles.sqlite"
    for side in ("-wal", "-shm"):
        Path(f"{db}{side}").unlink(missing_ok=True)
    if fault == "truncated":
        db.write_bytes(b"")
    elif fault == "deleted":
        db.unlink()
    else:
        other = made(tmp_path / "other", fake_embedder)
        shutil.copyfile(other / "articles.sqlite", db)
    for _ in range(2):  # opening (as rag check --repair does) is refused, and stays refused
        with pytest.raises(StoreError, match="is not the database this store was written with"):
            Engine(store=store, embedder=fake_embedder)
    after = sorted(p.relative_to(store).as_posix() for p in (store / "chroma").rglob("*") if p.is_file())
    assert after == vectors_before  # no vector deleted as an "orphan"


def test_a_store_made_before_store_json_opens_and_gets_one(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    store = made(tmp_path, fake_embedder)
    (store / "store.json").unlink()
    with Engine(store=store, embedder=fake_embedder) as eng:
        assert eng.stats().articles == 3
        eng.ingest_articles([Article(id="new", title="N", text="A new story. It is short.")], progress=False)
    assert json.loads((store / "store.json").read_text())["articles"] == 4
