"""A store knows itself: an id kept both in `articles.sqlite` and, outside it, in `store.json`
(with the article count), written after every commit. An `articles.sqlite` that was emptied,
truncated or swapped for another no longer holds the id `store.json` names, and the store refuses
to open: it would otherwise open as a new, empty store, and `rag check --repair` would delete
every vector as an orphan."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from rag.store.article_db import ArticleDB
from rag.store.guard import StoreError

IDENTITY_FILE = "store.json"


def check_identity(folder: Path, db: ArticleDB) -> None:
    """Raise StoreError when `folder`'s `store.json` names another database than `db`. A store
    without one (older, or new) passes; the next write gives it one."""
    path = folder / IDENTITY_FILE
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or unreadable: written at the next write
        return
    if not isinstance(known, dict) or known.get("id") == db.meta("store_id"):
        return
    raise StoreError(
        f"{folder / 'articles.sqlite'} is not the database this store was written with: it was "
        f"emptied or replaced ({known.get('articles', '?')} articles when last written, "
        f"{db.count()} now). Restore it from a backup; nothing was changed, and "
        "`rag check --repair` will not delete the vectors."
    )


def write_identity(folder: Path, db: ArticleDB) -> None:
    """Record `db`'s id (made on its first write) and article count in `store.json`, atomically.
    The caller holds the store's write lock."""
    store_id = db.meta("store_id")
    if store_id is None:
        store_id = uuid.uuid4().hex
        db.set_meta("store_id", store_id)
    tmp = folder / f"{IDENTITY_FILE}.tmp-{os.getpid()}"
    # the articles alone: this runs after every batch of an ingest, where stats() would also
    # count every chunk through a join
    tmp.write_text(json.dumps({"id": store_id, "articles": db.count()}), encoding="utf-8")
    os.replace(tmp, folder / IDENTITY_FILE)
