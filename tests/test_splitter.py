from __future__ import annotations

from conftest import SEEDS
from rag.models import Article
from rag.text.splitter import sentence_spans, split_article

TEXT = (
    "Headline without a full stop\nA caption line (AFP Photo)\n\n"
    "Dr. Smith arrived in the U.S. on Monday. He met officials. "
    "They discussed the plan at length, said Mr. Jones.\n\nA second paragraph follows here."
)


def test_sentences_keep_offsets_and_respect_lines() -> None:
    spans = sentence_spans(TEXT)
    texts = [TEXT[s:e] for s, e in spans]
    assert texts[0] == "Headline without a full stop"
    assert texts[1] == "A caption line (AFP Photo)"
    assert "Dr. Smith arrived in the U.S. on Monday." in texts  # abbreviations don't split
    assert texts[-1] == "A second paragraph follows here."
    assert all(t == t.strip() and t for t in texts)


def test_chunks_are_whole_sentences_with_offsets() -> None:
    art = Article(id="a1", text=" ".join(f"Sentence number {i} is here." for i in range(200)))
    chunks = split_article(art, chunk_chars=300, overlap=1)
    assert len(chunks) > 5
    for c in chunks:
        assert c.text == art.text[c.start : c.end]
        assert c.text.startswith("Sentence") and c.text.endswith(".")
        assert len(c.text) <= 300
    # consecutive chunks share one sentence, and together they cover the article
    assert chunks[1].start < chunks[0].end
    assert chunks[0].start == 0 and chunks[-1].end == len(art.text)


def test_chunk_ids_are_stable_and_distinct() -> None:
    art = Article(id="a1", text=TEXT)
    a, b = split_article(art, 60), split_article(art, 60)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    other = split_article(Article(id="a2", text=TEXT), 60)
    assert not {c.id for c in a} & {c.id for c in other}


def test_overlong_sentence_is_its_own_chunk() -> None:
    art = Article(id="x", text="Short one. " + "word " * 400 + "end. Last one.")
    chunks = split_article(art, chunk_chars=100)
    assert any(len(c.text) > 100 for c in chunks)
    assert all(c.text == art.text[c.start : c.end] for c in chunks)


def test_spans_are_nltks_own() -> None:
    """Punkt is loaded without all of NLTK (rag/text/splitter.py); the spans are those of NLTK's
    public tokenizer, on the tricky text above and on the seed article."""
    import sys

    from rag.text.splitter import _punkt_alone, _punkt_tables, _punkt_via_nltk

    assert _punkt_tables().is_dir()
    alone = _punkt_alone()
    reference = _punkt_via_nltk()  # imports NLTK in full
    assert type(alone) is not type(reference)  # two loads of the same code, really
    again = _punkt_alone()  # with NLTK loaded, the stand-ins must not replace it
    assert sys.modules["nltk"].__file__ and hasattr(sys.modules["nltk"], "data")
    seed = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")
    for line in [*TEXT.splitlines(), *seed.splitlines()]:
        want = list(reference.span_tokenize(line))
        assert list(alone.span_tokenize(line)) == want and list(again.span_tokenize(line)) == want
