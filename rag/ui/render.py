"""HTML for the page: answers with clickable citations, the sources panel, the article viewer.

Every string that comes from an article or a user goes through `html.escape`: article text is
shown as text, never interpreted as HTML or script. Pure functions, so they test without a server.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import quote

from rag import CITATION_MARKER, Answer, Article, Citation, Stats, dating_note, unescape_markers
from rag.answerers import UNVERIFIED

# a sentence kept although its sources don't support it (RagConfig.keep_unsupported), to its marker
_UNVERIFIED = re.compile(re.escape(html.escape(UNVERIFIED)) + r"[^<]*?(?=<a |$)")
_SPACE = re.compile(r"\s+")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def one_line(text: str) -> str:
    # The chat renders a message as one raw HTML block; a blank line would end that block
    # and let markdown reinterpret the rest, so messages never contain newlines.
    return _SPACE.sub(" ", text).strip()


def safe_url(url: str) -> str | None:
    """Only web links become links: a `javascript:` or `data:` URL from an article stays text."""
    return url if re.match(r"https?://[^\s\"'<>]+$", url or "") else None


def cite_href(article_id: str, start: int, end: int) -> str:
    # The chat's sanitiser drops data-* attributes but keeps a fragment link, so the cited span
    # travels in the href (read by CITE_JS in style.py).
    return f"#rag-cite/{start}/{end}/{quote(article_id, safe='')}"


def cite_attrs(c: Citation) -> str:
    return (
        f'class="rag-cite" href="{esc(cite_href(c.article_id, c.start, c.end))}" role="button" '
        f'title="Open [{c.n}] in its article"'
    )


def question_html(question: str) -> str:
    return f'<div class="rag-question">{esc(one_line(question))}</div>'


def pending_html(text: str = "") -> str:
    """What the assistant bubble shows while the answer streams in: a draft, not yet checked
    against the sources (its [n] are the model's numbers, so they are not links)."""
    if not text:
        return '<div class="rag-answer rag-pending">Searching the articles\u2026</div>'
    return (
        f'<div class="rag-answer rag-pending"><div class="rag-draft-label">Draft \u2014 being '
        f"checked against the sources</div>{esc(one_line(text))}</div>"
    )


def backend_html(ans: Answer) -> str:
    """Who wrote the answer: the quoting answerer, or a model whose sentences were checked."""
    if ans.generated is None:
        return f'<div class="rag-backend">Answered by: {esc(ans.backend)} (quoted from the articles)</div>'
    checked = "checked against the sources" if ans.backend != "extractive" else "the model\u2019s answer was not used"
    return f'<div class="rag-backend">Answered by: {esc(ans.backend)} ({checked})</div>'


def removed_html(ans: Answer) -> str:
    """Generated sentences that their sources don't support, struck through (never as fact)."""
    if not ans.removed:
        return ""
    items = "".join(f"<li><del>{esc(one_line(s))}</del></li>" for s in ans.removed)
    return (
        f'<div class="rag-removed">Not supported by the sentences they cite, so not part of '
        f"the answer:<ul>{items}</ul></div>"
    )


def error_html(message: str) -> str:
    return (
        f'<div class="rag-refusal rag-error"><div class="rag-refusal-title">Something went wrong'
        f"</div>{esc(one_line(message))}</div>"
    )


def answer_html(ans: Answer) -> str:
    """The final answer: [n] markers become citation links; a refusal looks like a notice."""
    query = ""
    if ans.query and ans.query != ans.question:
        query = f'<div class="rag-query">Searched for: <q>{esc(one_line(ans.query))}</q></div>'
    text = one_line(ans.answer)
    notice = one_line(ans.notice or "")
    if notice and text.endswith(notice):  # the answerer's note on its answer goes under it
        text = text[: -len(notice)].rstrip()
    foot = (f'<div class="rag-notice">{esc(notice)}</div>' if notice else "") + removed_html(ans) + backend_html(ans)
    if ans.refused:
        return (
            f'<div class="rag-refusal"><div class="rag-refusal-title">\u26a0\ufe0f No answer '
            f"in the articles</div>{esc(text)}{query}{foot}</div>"
        )
    by_n = {c.n: c for c in ans.citations}
    parts: list[str] = []
    pos = 0
    short = one_line(ans.short_answer or "")
    if short and text.startswith(f"{short}. "):
        text = text[len(short) + 2 :]  # the short answer is the headline; don't say it twice
    for m in CITATION_MARKER.finditer(text):
        c = by_n.get(int(m.group(1)))
        if c is None:
            continue
        parts.append(_marked(text[pos : m.start()], c, ans))
        parts.append(f"<a {cite_attrs(c)}><sup>[{c.n}]</sup></a>")
        pos = m.end()
    parts.append(esc(unescape_markers(text[pos:])))
    head = f'<div class="rag-short">{esc(short)}</div>' if short else ""
    body = _UNVERIFIED.sub(r'<span class="rag-unverified">\g<0></span>', "".join(parts))
    return f'<div class="rag-answer">{head}<div class="rag-body">{body}</div>{query}{foot}</div>'


def _marked(segment: str, c: Citation, ans: Answer) -> str:
    """`segment` escaped, with the short answer highlighted inside the quote that proves it."""
    span = ans.short_answer_span
    at = segment.rfind(one_line(c.quote)) if span and span.citation == c.n else -1
    if span is None or at < 0 or one_line(c.quote) != c.quote:
        return esc(unescape_markers(segment))
    s, e = at + span.start, at + span.end
    return f"{esc(segment[:s])}<mark>{esc(segment[s:e])}</mark>{esc(segment[e:])}"


def untitled(article_id: str) -> str:
    return f"Untitled article ({article_id})"


def _meta(date: object, source: str, url: str, dated_by: str = "") -> str:
    bits = [esc(str(date)) if date else "undated"]
    if date and (note := dating_note(dated_by)):
        bits[0] += f' <span class="rag-dated-by">({note})</span>'

    if source:
        bits.append(esc(source))
    link = safe_url(url)
    if link:
        # The source is already named; a long URL as link text only wraps badly.
        bits.append(
            f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer nofollow" '
            f'title="{esc(link)}">original \u2197</a>'
        )
    elif url:
        bits.append(esc(url))
    return " \u00b7 ".join(bits)


SOURCES_EMPTY = (
    '<div class="rag-sources-empty">The articles an answer cites are listed here. '
    "Click a citation number to read the sentence in its article.</div>"
)


def sources_html(ans: Answer | None, articles: dict[str, Article] | None = None) -> str:
    """One card per cited article, with its quoted sentences (each opens the article)."""
    if ans is None:
        return SOURCES_EMPTY
    if ans.refused or not ans.citations:
        return (
            '<div class="rag-sources-empty">No article supports an answer, so nothing is '
            "cited. Try other words, a wider date range, or more sources.</div>"
        )
    articles = articles or {}
    groups: dict[str, list[Citation]] = {}
    for c in ans.citations:
        groups.setdefault(c.article_id, []).append(c)
    cards = []
    for art_id, cites in groups.items():
        first = cites[0]
        art = articles.get(art_id)
        title = first.title or (art.title if art else "") or untitled(art_id)
        source = art.source if art else ""
        quotes = "".join(
            f'<a {cite_attrs(c)}><span class="rag-n">{c.n}</span>'
            f'<span class="rag-quote">\u201c{esc(one_line(c.quote))}\u201d</span></a>'
            for c in cites
        )
        cards.append(
            f'<div class="rag-card"><div class="rag-card-title">{esc(one_line(title))}</div>'
            f'<div class="rag-meta">{_meta(first.date, source, first.url, first.dated_by)}{also_in(first)}</div>'
            f"{quotes}</div>"
        )
    return f'<div class="rag-sources">{"".join(cards)}</div>'


def also_in(c: Citation) -> str:
    """ " · also in N other articles": the copies of the cited article's story (rag.text.stories)."""
    if not c.also_in:
        return ""
    return f" \u00b7 also in {c.also_in} other article{'s' * (c.also_in != 1)}"


VIEWER_EMPTY = (
    '<div class="rag-viewer-empty">Click a citation to open its article here, with the '
    "quoted sentence highlighted.</div>"
)


def article_html(art: Article, start: int, end: int) -> str:
    """The whole article as text, the cited span [start, end) highlighted."""
    if not 0 <= start < end <= len(art.text):
        start = end = 0
    text = art.text
    body = (
        (f'{esc(text[:start])}<mark class="rag-mark">{esc(text[start:end])}</mark>{esc(text[end:])}')
        if end
        else esc(text)
    )
    title = esc(one_line(art.title or untitled(art.id)))
    return (
        f'<article class="rag-article"><div class="rag-card-title">{title}'
        f'</div><div class="rag-meta">{_meta(art.date, art.source, art.url, art.dated_by)}</div>'
        f'<div class="rag-article-text">{body}</div></article>'
    )


def missing_article_html(article_id: str) -> str:
    return f'<div class="rag-viewer-empty">Article {esc(article_id)} is no longer in the store.</div>'


def stats_html(s: Stats, feeds: str = "") -> str:
    """The header's line about the store; `feeds`, the feed follower's status, below it."""
    follow = f'<div class="rag-feeds">{esc(feeds)}</div>' if feeds else ""
    if s.articles == 0:
        return f'<div class="rag-stats">No articles yet: add some under \u201cAdd articles\u201d.{follow}</div>'
    dates = f"{s.first_date} \u2192 {s.last_date}" if s.first_date else "undated"
    n_src = len([k for k in s.sources if k])
    src = f" \u00b7 {n_src} source{'s' if n_src != 1 else ''}" if n_src else ""
    stories = f" ({s.stories:,} stories)" if 0 < s.stories < s.articles else ""
    return (
        f'<div class="rag-stats"><b>{s.articles:,}</b> articles{stories} \u00b7 <b>{s.chunks:,}</b> chunks'
        f" \u00b7 {esc(dates)}{src}{follow}</div>"
    )


def check_warning_html(problems: Sequence[str]) -> str:
    """The header's warning when the store failed `rag check` (rag.store.check)."""
    items = "".join(f"<li>{esc(p)}</li>" for p in problems)
    return (
        f'<div class="rag-warning" role="alert"><b>This store failed its check</b>; answers may '
        f"miss articles. Run <code>rag check --repair</code>.<ul>{items}</ul></div>"
    )


def source_choices(s: Stats) -> Sequence[str]:
    return sorted(k for k in s.sources if k)
