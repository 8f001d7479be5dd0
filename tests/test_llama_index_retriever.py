"""`Engine.as_retriever()` inside llama-index: nodes carry the article and exact offsets, and a
llama-index query engine answers with them through the real test model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from llm_helpers import ARTICLES, BRIDGE, OPENED, need_llm_extra
from rag import Engine, Filters
from rag.text.splitter import chunk_id

if TYPE_CHECKING:
    from rag.answerers.model_process import ModelProcess

pytestmark = pytest.mark.llm  # the generation store and the test model


def test_nodes_carry_article_metadata_and_offsets(gen_engine: Engine) -> None:
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.schema import MetadataMode, TextNode

    retriever = gen_engine.as_retriever(top_k=2)
    assert isinstance(retriever, BaseRetriever)
    hits = retriever.retrieve("Who opened the Zorblat bridge?")
    assert len(hits) == 2 and hits[0].node.metadata["article_id"] == BRIDGE.id
    assert hits[0].score is not None and hits[1].score is not None and hits[0].score >= hits[1].score
    for h in hits:
        node = h.node
        assert isinstance(node, TextNode)
        art = ARTICLES[node.metadata["article_id"]]
        assert art.text[node.start_char_idx : node.end_char_idx] == node.text
        assert art.date is not None and node.start_char_idx is not None and node.end_char_idx is not None
        assert node.metadata == {
            "article_id": art.id,
            "title": art.title,
            "date": art.date.isoformat(),
            "source": art.source,
            "url": art.url,
        }
        assert node.node_id == chunk_id(art.id, node.start_char_idx, node.end_char_idx)
        shown = node.get_content(metadata_mode=MetadataMode.LLM)
        header = shown.split("\n\n")[0]
        assert f"title: {art.title}" in header and "article_id" not in header and "url" not in header
    only = gen_engine.as_retriever(filters=Filters(sources=("example.org",))).retrieve("bridge")
    assert {h.node.metadata["source"] for h in only} == {"example.org"}
    assert gen_engine.as_retriever(as_of="2024-03-03").retrieve("bridge")[0].node.metadata["article_id"] == "bakery"


def test_a_llama_index_query_engine_answers_with_it_and_the_test_model(
    gen_engine: Engine, smollm: ModelProcess
) -> None:
    need_llm_extra()
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.schema import TextNode

    engine = RetrieverQueryEngine.from_args(gen_engine.as_retriever(top_k=1), llm=smollm.llm())
    response = engine.query("Who opened the Zorblat bridge?")
    assert str(response).strip()  # the tiny model's words; the test is that the pipeline runs
    [source] = response.source_nodes
    assert isinstance(source.node, TextNode)
    assert source.node.metadata["title"] == BRIDGE.title and OPENED in source.node.get_content()
    assert (source.node.start_char_idx, source.node.end_char_idx) == (0, len(BRIDGE.text))
