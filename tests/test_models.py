"""The shared types keep their stated invariants."""

from __future__ import annotations

from rag import Article, Citation


def test_a_citation_quotes_its_article_at_its_offsets() -> None:
    art = Article(id="a", title="T", url="https://example.org/a", text="One sentence. The quoted one. Three.")
    start = art.text.index("The quoted")
    c = Citation.quoting(2, art, start, start + len("The quoted one."), 0.123456)
    assert c.quote == art.text[c.start : c.end] == "The quoted one."
    assert (c.n, c.article_id, c.title, c.url, c.score) == (2, "a", "T", "https://example.org/a", 0.1235)
