"""Which folders may hold a store: never a file, never someone else's folder or database.

`open_folder` runs before anything is created or opened, so a wrong `--store` is one clear
error and leaves what is there untouched."""

from __future__ import annotations

import os
from pathlib import Path


class StoreError(ValueError):
    """The store folder can't be used (or not for this); the message says why."""


# What a store folder holds (rag.store.store); anything else means the folder is someone else's.
STORE_ENTRIES = ("articles.sqlite", "chroma", "bm25", "uploads", ".write.lock", "store.json")


def _ours(name: str) -> bool:
    # articles.sqlite-wal / -shm, bm25.tmp-PID / bm25.old-PID are ours too
    return any(name == e or name.startswith((e + ".", e + "-")) for e in STORE_ENTRIES)


def unwritable(folder: Path) -> Path | None:
    """The first of the store's folder and its entries (one level into each sub-folder) that
    this process may no longer write, or None: a store made read-only while it was open."""
    paths = [folder]
    for name in STORE_ENTRIES:
        entry = folder / name
        if entry.exists():
            paths.append(entry)
            if entry.is_dir():
                paths.extend(entry.iterdir())
    return next((p for p in paths if not os.access(p, os.W_OK)), None)


def open_folder(folder: Path) -> bool:
    """Check (and create, when new) the store folder; True when it can only be read."""
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder} is a file, not a folder: --store wants a folder (new, or holding a store)")
    if not folder.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {folder}: {exc.strerror or exc}") from None
        return False
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError as exc:
        raise StoreError(f"cannot read the store folder {folder}: {exc.strerror or exc}") from None
    if "articles.sqlite" not in names and any(not _ours(n) for n in names):
        raise StoreError(
            f"{folder} is not empty and holds no newsrag store: choose a new or empty "
            "folder for --store (nothing in it was changed)"
        )
    read_only = not os.access(folder, os.W_OK) or (
        "articles.sqlite" in names and not os.access(folder / "articles.sqlite", os.W_OK)
    )
    if read_only and "articles.sqlite" not in names:
        raise StoreError(f"{folder} is read-only and holds no store yet")
    return read_only
