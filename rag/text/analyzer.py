"""The text analysis every word match shares: BM25's index and queries, the reader's and the
support judge's word overlap, the follow-up condenser. One analysis, so a word the index knows is
the word the reader counts."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rag.text.stopwords import ENGLISH_STOP_WORDS

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stemmer() -> Any:  # a Stemmer.Stemmer (PyStemmer ships no types)
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    # scikit-learn's list (shipped in rag/text/stopwords.py; bm25s's 33 words are all in it), since
    # questions need "how", "much", "did", "who"... dropped too.
    return ENGLISH_STOP_WORDS | {"did", "does", "doing", "done", "said"}


# Stored with the index: an index built with another analysis is rebuilt, never mixed.
ANALYZER_VERSION = "stem-en+sk-stop-v1"


def terms(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed tokens: the same analysis as the index."""
    stop = stopwords()
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
    return list(_stemmer().stemWords(words))
