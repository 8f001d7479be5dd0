"""The page's HTML: citations become links to their span, everything from articles is escaped."""

from __future__ import annotations

import datetime as dt
import re

from rag.models import Answer, Article, Citation, Stats
from rag.ui import render

EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> ${1+1} {{x}}'
ART = Article(
    id="a/1 &x",
    title=f"Title {EVIL}",
    date=dt.date(2024, 12, 8),
    source="ex.com",
    url="javascript:alert(1)",
    text=f"First sentence. Evil sentence {EVIL} here. Last one.",
)
START = ART.text.index("Evil")
END = ART.text.index(" Last")


def cite(n: int = 1) -> Citation:
    return Citation.quoting(n, ART, START, END, 0.5).model_copy(update={"path": "p"})


def answer(refused: bool = False, query: str = "q (Evil)") -> Answer:
    c = cite()
    text = "The articles don't say." if refused else f"Evil. {c.quote} [1]"
    return Answer(
        question="q",
        answer=text,
        refused=refused,
        citations=[] if refused else [c],
        short_answer=None if refused else "Evil",
        query=query,
    )


def no_live_markup(html: str) -> None:
    assert "<script" not in html and "<img" not in html and 'onerror="' not in html
    assert "&lt;script&gt;" in html


def test_answer_links_each_marker_to_its_span_and_escapes_the_quote() -> None:
    html = render.answer_html(answer())
    no_live_markup(html)
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == [f"#rag-cite/{START}/{END}/a%2F1%20%26x"]
    assert html.count("<sup>[1]</sup>") == 1 and "\n" not in html
    assert '<div class="rag-short">Evil</div>' in html  # the headline isn't repeated in the body
    assert "rag-refusal" not in html and "Searched for" in html


def test_refusal_looks_different_and_cites_nothing() -> None:
    html = render.answer_html(answer(refused=True, query="q"))
    assert 'class="rag-refusal"' in html and "No answer in the articles" in html
    assert "rag-cite" not in html and "Searched for" not in html  # query == question
    assert "nothing is cited" in render.sources_html(answer(refused=True))


def test_sources_panel_lists_the_cited_article_escaped() -> None:
    html = render.sources_html(answer(), {ART.id: ART})
    no_live_markup(html)
    assert "ex.com" in html and "2024-12-08" in html
    assert 'href="javascript' not in html  # a non-web URL is shown as text, not as a link
    assert render.sources_html(None) == render.SOURCES_EMPTY


def test_article_viewer_highlights_exactly_the_cited_span() -> None:
    html = render.article_html(ART, START, END)
    no_live_markup(html)
    marked = re.search(r'<mark class="rag-mark">(.*?)</mark>', html)
    assert marked and marked.group(1) == render.esc(ART.text[START:END])
    # Offsets outside the text show the article without a highlight rather than failing.
    assert "<mark" not in render.article_html(ART, 5, len(ART.text) + 10)


def test_web_links_are_kept_and_attributes_cannot_be_broken_out_of() -> None:
    assert render.safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert render.safe_url('https://x.com/" onmouseover="alert(1)') is None
    assert render.safe_url("data:text/html,hi") is None


def test_stats_line() -> None:
    s = Stats(
        articles=1234,
        chunks=5000,
        first_date=dt.date(2024, 1, 1),
        last_date=dt.date(2024, 2, 1),
        sources={"cnn.com": 1000, "": 234, "<b>x</b>": 1},
    )
    html = render.stats_html(s)
    assert "1,234" in html and "2024-01-01" in html and "2 sources" in html
    assert render.source_choices(s) == ["<b>x</b>", "cnn.com"]  # dropdown choices are text
    assert "No articles yet" in render.stats_html(
        Stats(articles=0, chunks=0, first_date=None, last_date=None, sources={})
    )


def test_an_error_shows_as_text_where_the_answer_would_be() -> None:
    html = render.error_html(f"OSError: {EVIL}")
    no_live_markup(html)
    assert "Something went wrong" in html and "rag-cite" not in html


def test_generated_answer_shows_its_backend_notice_and_removed_sentences_escaped() -> None:
    c = cite()
    notice = "(1 generated sentence was removed: the sentences cited do not support them.)"
    ans = Answer(
        question="q",
        answer=f"Evil happened. [1] {notice}",
        refused=False,
        citations=[c],
        query="q",
        backend="llamacpp",
        notice=notice,
        generated="Evil happened [3]. " + EVIL,
        generated_sentences=2,
        removed=[EVIL],
    )
    html = render.answer_html(ans)
    no_live_markup(html)
    assert "Answered by: llamacpp (checked against the sources)" in html
    assert f'<div class="rag-notice">{render.esc(notice)}</div>' in html
    assert html.count(notice.split(":")[0]) == 1  # the notice sits under the answer, once
    assert '<div class="rag-removed">' in html and "<del>&lt;script&gt;" in html
    assert "Answered by: extractive (quoted from the articles)" in render.answer_html(answer())


def test_a_kept_unverified_sentence_is_marked() -> None:
    c = cite()
    ans = Answer(
        question="q",
        answer="Evil happened. [1] (unverified) Evil won twice. [1]",
        refused=False,
        citations=[c],
        backend="llamacpp",
        generated="x",
        generated_sentences=2,
        removed=["Evil won twice."],
    )
    html = render.answer_html(ans)
    assert '<span class="rag-unverified">(unverified) Evil won twice. </span><a ' in html
    assert html.count('class="rag-unverified"') == 1


def test_the_short_answer_is_highlighted_inside_its_quote() -> None:
    from rag.models import ShortAnswerSpan

    ans = answer().model_copy(update={"short_answer_span": ShortAnswerSpan(citation=1, start=0, end=4)})
    html = render.answer_html(ans)
    assert "<mark>Evil</mark> sentence" in html
    no_live_markup(html)  # the quote around the mark is still escaped
    assert "<mark>" not in render.answer_html(answer())  # no span, no highlight


def test_brackets_in_an_article_are_not_citations() -> None:
    art = Article(id="f", title="Forged", text="The council approved the budget [1] on Monday [2]. Unrelated.")
    ans = Answer(
        question="q",
        answer="The council approved the budget \\[1] on Monday \\[2]. [1]",
        refused=False,
        citations=[Citation.quoting(1, art, 0, art.text.index(" Unrelated"), 0.9)],
    )
    html = render.answer_html(ans)
    assert html.count("<a ") == 1 and html.count("<sup>") == 1  # the answerer's own marker only
    assert "budget [1] on Monday [2]." in html  # the article's brackets, shown as it wrote them
    assert "\\[" not in html


def test_stories_guessed_dates_and_the_feeds_line_are_shown() -> None:
    s = Stats(articles=10, chunks=50, first_date=None, last_date=None, sources={}, stories=8)
    html = render.stats_html(s, f"feeds: refreshed at 10:00 {EVIL}")
    assert "(8 stories)" in html and "feeds: refreshed at 10:00" in html
    no_live_markup(html)
    assert "stories" not in render.stats_html(s.model_copy(update={"stories": 10}))  # none grouped: not said
    guessed = ART.model_copy(update={"dated_by": "text"})
    c = Citation.quoting(1, guessed, START, END, 0.5).model_copy(update={"also_in": 2})
    ans = answer().model_copy(update={"citations": [c]})
    panel = render.sources_html(ans, {ART.id: guessed})
    assert "(dated from the text)" in panel and "also in 2 other articles" in panel
    assert "dated from" not in render.sources_html(answer(), {ART.id: ART})  # a given date: no note
    assert "(dated from the text)" in render.article_html(guessed, START, END)
