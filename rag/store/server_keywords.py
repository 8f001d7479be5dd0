"""The keyword index published in the Chroma server, so that a replica loads it instead of
building it (rag.store.server_articles holds the articles themselves).

bm25s cannot add to an index, so after every change the whole index is built again from every
chunk: 3.5 s at 20k chunks here, linear in the chunks (rag/eval/results/scale.md). Without this,
every replica paid that after every change, and a new replica before its first keyword search.
Now the writer, whose copy of the articles is exactly the server's (the same version token),
publishes the index it built; a replica whose copy shows the same token fetches it and swaps it
in whole. One that finds none for its token builds its own, as before.

The index's files travel as one tar, zlib-compressed and base64-encoded, in records of
`PART_CHARS` characters held in *metadata*: Chroma indexes documents for full-text search, and
the 20k-chunk index (8.6 MB encoded) took 13 s to write as documents against 0.5 s as metadata.
Records are keyed by the token; the collection's metadata names the complete one, and is set
only once all its parts are written, so a reader never sees half an index."""

from __future__ import annotations

import base64
import io
import tarfile
import zlib
from pathlib import Path
from typing import Any

PART_CHARS = 4_000_000
LOCAL_FILES = {"generation"}  # the folder's own stamp, not part of what is shared
_DUMMY = [1.0]  # Chroma stores an embedding with every record; these are never searched


class ServerKeywords:
    def __init__(self, client: Any, collection: str) -> None:
        self.client = client
        self.name = f"{collection}-keywords"
        self.collection = client.get_or_create_collection(self.name, embedding_function=None)

    def published(self) -> tuple[str, int] | None:
        """(the version token of the articles the published index was built from, its parts)."""
        meta = dict(self.client.get_collection(self.name).metadata or {})
        token, parts = meta.get("token"), meta.get("parts")
        return (str(token), int(parts)) if token and parts else None

    def publish(self, folder: Path, token: str) -> int:
        """Publish the index saved in `folder` as built from the articles of `token`; the
        characters written. The parts of any earlier index are removed after the switch."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for path in sorted(folder.iterdir()):
                if path.is_file() and path.name not in LOCAL_FILES:
                    tar.add(path, arcname=path.name)
        text = base64.b64encode(zlib.compress(buf.getvalue(), 1)).decode("ascii")
        parts = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
        for i, part in enumerate(parts):
            self.collection.upsert(
                ids=[f"{token}-{i}"], embeddings=[_DUMMY], metadatas=[{"token": token, "part": i, "blob": part}]
            )
        self.collection.modify(metadata={"token": token, "parts": len(parts)})
        self.collection.delete(where={"token": {"$ne": token}})
        return len(text)

    def fetch(self, token: str, into: Path) -> bool:
        """Write the index published for `token` into the folder `into`; False when none is (or
        it was replaced while being read)."""
        published = self.published()
        if published is None or published[0] != token:
            return False
        ids = [f"{token}-{i}" for i in range(published[1])]
        got = self.collection.get(ids=ids, include=["metadatas"])
        blobs = {rid: str((m or {}).get("blob", "")) for rid, m in zip(got["ids"], got["metadatas"] or [], strict=True)}
        if set(blobs) != set(ids):
            return False
        raw = zlib.decompress(base64.b64decode("".join(blobs[i] for i in ids)))
        into.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r") as tar:
            tar.extractall(into, filter="data")  # plain files inside `into`, nothing else
        return True
