"""This project's retrieval as a llama-index retriever (`Engine.as_retriever()`), so it plugs
into anyone's llama-index pipeline (query engines, chat engines, agents).

Each node is one retrieved passage: its text is `article.text[start:end]`, `start_char_idx` /
`end_char_idx` are those offsets into the article, and the metadata names the article
(`article_id`, `title`, `date`, `source`, `url`) so answers built on it can cite it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.models import Filters, Passage

if TYPE_CHECKING:
    from rag.engine import Engine

# What a language model reading the node should see of its metadata (ids and URLs only add tokens).
_SHOWN_TO_LLM = ("title", "date", "source")


def passage_node(p: Passage) -> NodeWithScore:
    a = p.article
    metadata: dict[str, Any] = {
        "article_id": a.id,
        "title": a.title,
        "date": a.date.isoformat() if a.date else "",
        "source": a.source,
        "url": a.url,
    }
    node = TextNode(
        id_=p.chunk_id,  # the store's own chunk id
        text=p.text,
        metadata=metadata,
        start_char_idx=p.start,
        end_char_idx=p.end,
        excluded_llm_metadata_keys=[k for k in metadata if k not in _SHOWN_TO_LLM],
        excluded_embed_metadata_keys=list(metadata),
    )
    return NodeWithScore(node=node, score=p.score)


class NewsRetriever(BaseRetriever):
    """Hybrid (dense + keyword) search of an `Engine`'s store, with its date/source filters."""

    def __init__(
        self,
        engine: Engine,
        *,
        top_k: int | None = None,
        as_of: dt.date | str | None = None,
        filters: Filters | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.top_k = top_k
        self.as_of = as_of
        self.filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        r = self.engine.retrieve(query_bundle.query_str, as_of=self.as_of, filters=self.filters, top_k=self.top_k)
        return [passage_node(p) for p in r.passages]
