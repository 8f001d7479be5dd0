"""Named entities of every sentence, found at ingest (`RagConfig.sentence_entities`), so a question
never runs NER on the sentences it reads, nor loads spaCy at all when the store gives every one.
One row per article, in JSON: [[start, end, [[s, e, label], ...]], ...], a sentence keyed by its
offsets in the article (as its vector, rag.store.sentence_vectors), an entity by its offsets in the
sentence's text (as rag.text.entities gives them)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from rag.models import Entities, SentenceKey


def pack(spans: Sequence[tuple[int, int]], found: Sequence[Entities]) -> str:
    if len(spans) != len(found):
        raise ValueError(f"{len(spans)} sentences but {len(found)} entity lists")
    return json.dumps([[s, e, [list(x) for x in ents]] for (s, e), ents in zip(spans, found, strict=True)])


def unpack(
    article_id: str, data: str, wanted: Collection[tuple[int, int]] | None = None
) -> dict[SentenceKey, Entities]:
    """The stored row's entities by sentence key: all, or those of the `wanted` (start, end) spans."""
    out: dict[SentenceKey, Entities] = {}
    for s, e, ents in json.loads(data):
        if wanted is None or (s, e) in wanted:
            out[(article_id, s, e)] = [(int(a), int(b), str(label)) for a, b, label in ents]
    return out
