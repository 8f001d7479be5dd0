"""Articles from the web: a page URL is one article, an RSS or Atom feed (feedparser) brings
the articles it links. Pages are fetched with a connect/read timeout and a whole-page deadline,
a size cap, a pause between two requests to one host, and redirects followed only to http(s);
text, title, date and author come from trafilatura (its date finder is htmldate's).

An article from a URL is identified by its canonical URL (the page's `<link rel=canonical>`,
else where the redirects ended), so an edited page replaces its old version and an unchanged
one costs a conditional request (ETag / Last-Modified) and nothing else."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from rag.models import Article, Failure
from rag.text.dating import dated
from rag.text.loaders import LoadError, content_hash, parse_date

USER_AGENT = "newsrag (offline-first news question answering)"


def is_url(value: str) -> bool:
    """Any `scheme://` (an ftp:// or file:// link is refused with its reason, not looked for
    as a file); only http(s) ones are fetched."""
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value) is not None


def url_id(url: str) -> str:
    """An article's id from its canonical URL: short, and safe wherever an id goes."""
    return "u" + content_hash(url)[:15]


@dataclass(frozen=True)
class Validator:
    """What a server said of a URL last time, for a conditional request next time."""

    url: str
    article_id: str  # "" for a feed
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class Fetched:
    url: str  # where the redirects ended
    status: int  # 200, or 304 (not modified)
    content_type: str
    body: bytes
    etag: str
    last_modified: str


class Fetcher:
    """GETs with limits. One per ingest; thread-safe (the pause per host is shared)."""

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        deadline_s: float = 30.0,
        max_mb: float = 10.0,
        host_interval_s: float = 1.0,
        max_redirects: int = 5,
    ) -> None:
        import httpx

        self.deadline_s, self.max_bytes, self.host_interval_s = deadline_s, int(max_mb * 1e6), host_interval_s
        self.max_redirects = max_redirects
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s), follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )
        self._next: dict[str, float] = {}  # host -> when it may be asked again
        self._lock = threading.Lock()
        self.requests = 0

    def close(self) -> None:
        self._client.close()

    def _wait_for(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(host, now))
            self._next[host] = at + self.host_interval_s
        if at > now:
            time.sleep(at - now)

    def get(self, url: str, validator: Validator | None = None) -> Fetched:
        """The URL's body (or a 304 when `validator` still holds); LoadError says what failed."""
        import httpx

        headers = {}
        if validator and validator.etag:
            headers["If-None-Match"] = validator.etag
        if validator and validator.last_modified:
            headers["If-Modified-Since"] = validator.last_modified
        start = time.monotonic()
        for _ in range(self.max_redirects + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise LoadError(f"{url}: only http(s) links are fetched")
            self._wait_for(parts.hostname)
            self.requests += 1
            try:
                with self._client.stream("GET", url, headers=headers) as r:
                    if r.has_redirect_location:
                        target = urljoin(url, r.headers.get("location", ""))
                        if urlsplit(target).scheme not in ("http", "https"):
                            raise LoadError(f"{url}: redirects to {target!r}, which is not an http(s) link")
                        url = target
                        continue
                    if r.status_code == 304:
                        return Fetched(url, 304, "", b"", validator.etag if validator else "", "")
                    if r.status_code >= 400:
                        raise LoadError(f"{url}: the server answered {r.status_code} {r.reason_phrase}")
                    body = self._read(url, r, start)
                    return Fetched(
                        url,
                        r.status_code,
                        r.headers.get("content-type", "").lower(),
                        body,
                        r.headers.get("etag", ""),
                        r.headers.get("last-modified", ""),
                    )
            except httpx.TimeoutException:
                raise LoadError(f"{url}: no answer within {self._client.timeout.read:g} s") from None
            except httpx.HTTPError as exc:
                raise LoadError(f"{url}: cannot fetch ({exc or type(exc).__name__})") from None
        raise LoadError(f"{url}: more than {self.max_redirects} redirects")

    def _read(self, url: str, r: Any, start: float) -> bytes:
        over = LoadError(f"{url}: over {self.max_bytes / 1e6:g} MB, the limit for one article (RAG_MAX_FILE_MB)")
        if int(r.headers.get("content-length") or 0) > self.max_bytes:
            raise over
        body = bytearray()
        for piece in r.iter_bytes():
            body += piece
            if len(body) > self.max_bytes:
                raise over
            if time.monotonic() - start > self.deadline_s:
                raise LoadError(f"{url}: the page did not finish within {self.deadline_s:g} s")
        return bytes(body)


def _is_feed(f: Fetched) -> bool:
    if any(t in f.content_type for t in ("rss", "atom")):
        return True
    if "html" in f.content_type or "pdf" in f.content_type:
        return False
    head = f.body[:512].lstrip().lower()
    return head.startswith((b"<rss", b"<feed", b"<rdf")) or (head.startswith(b"<?xml") and b"<html" not in head)


def read_feed(f: Fetched) -> list[tuple[str, dt.date | None]]:
    """The links of a feed, each once, in feed order, with the entry's date when it gives one."""
    import feedparser

    parsed = feedparser.parse(f.body)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        why = getattr(parsed, "bozo_exception", None)
        raise LoadError(f"{f.url}: not an RSS or Atom feed" + (f" ({why})" if why else ""))
    links: dict[str, dt.date | None] = {}
    for e in parsed.entries:
        link = urljoin(f.url, str(e.get("link") or ""))
        if link.startswith(("http://", "https://")) and link not in links:
            stamp = e.get("published_parsed") or e.get("updated_parsed")
            links[link] = dt.date(*stamp[:3]) if stamp else None
    return list(links.items())


def read_page(f: Fetched, feed_date: dt.date | None = None) -> Article:
    """The article of a fetched page: HTML through trafilatura, a PDF through pypdf."""
    if "pdf" in f.content_type or f.body[:5] == b"%PDF-":
        return _read_pdf(f)
    import trafilatura

    doc = trafilatura.bare_extraction(f.body, url=f.url, with_metadata=True, include_comments=False)
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        raise LoadError(f"{f.url}: no article text found in the page")
    canonical = getattr(doc, "url", None) or f.url
    day = parse_date(getattr(doc, "date", None)) or feed_date
    return Article(
        id=url_id(canonical),
        title=getattr(doc, "title", None) or "",
        date=day,
        dated_by="metadata" if day else "",
        source=getattr(doc, "sitename", None) or urlsplit(canonical).hostname or "",
        url=canonical,
        text=text,
    )


def _read_pdf(f: Fetched) -> Article:
    import tempfile
    from pathlib import Path

    from rag.text.loaders import load_pdf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.pdf"
        path.write_bytes(f.body)
        try:
            art = load_pdf(path)
        except LoadError as exc:
            raise LoadError(f"{f.url}: {exc}") from None
    source = urlsplit(f.url).hostname or ""
    return art.model_copy(update={"id": url_id(f.url), "url": f.url, "path": "", "source": source})


def load_urls(
    urls: Iterable[str],
    fetcher: Fetcher,
    known: Callable[[str], Validator | None],
    stored: Callable[[str], Article | None],
    seen: dict[str, Validator],
) -> Iterator[Article | Failure]:
    """The articles of pages and feeds. `known(url)` is the validator kept from the last fetch,
    `stored(id)` the article stored then (given back for a 304, so it counts as unchanged);
    what the servers said this time is put in `seen`, to be kept once the articles are stored."""
    done: set[str] = set()

    def page(url: str, feed_date: dt.date | None = None) -> Iterator[Article | Failure]:
        if url in done:  # a feed that lists one article twice, or a page also given alone
            return
        done.add(url)
        try:
            old = known(url)
            f = fetcher.get(url, old)
            if f.status == 304 and old is not None:
                seen[url] = old
                if old.article_id and (art := stored(old.article_id)) is not None:
                    yield art
                    return
                if not old.article_id:  # an unchanged feed: one request, nothing more
                    return
                f = fetcher.get(url)  # a 304 for an article we no longer hold
            if _is_feed(f):
                links = read_feed(f)  # a feed that can't be read is not remembered as seen
                seen[url] = Validator(url, "", f.etag, f.last_modified)
                for link, day in links:
                    yield from page(link, day)
                return
            art = dated(read_page(f, feed_date))
            seen[url] = Validator(url, art.id, f.etag, f.last_modified)
            yield art
        except LoadError as exc:
            yield Failure(path=url, reason=str(exc).removeprefix(f"{url}: "))

    for url in urls:
        yield from page(url)
