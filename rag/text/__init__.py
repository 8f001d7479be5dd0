"""Stage 1, text: files to articles (`loaders`), articles to sentences and chunks (`splitter`),
the one word analysis every keyword match uses (`analyzer`), and sentences' named entities
(`entities`: spaCy, loaded on first use; `ner` for ingest). Needs only `rag.models`."""

from rag.text.analyzer import ANALYZER_VERSION, stopwords, terms
from rag.text.entities import load_ner, ner  # not entities(): `rag.text.entities` stays the module
from rag.text.loaders import SUFFIXES, content_hash, load_paths, parse_date
from rag.text.splitter import chunk_id, sentence_spans, split_article

__all__ = [
    "ANALYZER_VERSION",
    "SUFFIXES",
    "chunk_id",
    "content_hash",
    "load_ner",
    "load_paths",
    "ner",
    "parse_date",
    "sentence_spans",
    "split_article",
    "stopwords",
    "terms",
]
