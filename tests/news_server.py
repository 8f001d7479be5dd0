"""A real HTTP server on 127.0.0.1 for the web tests: a feed of article pages (from the
benchmark corpus when it is there, else made up), with ETag / Last-Modified, and the bad cases
issue 21 lists. Every request is counted by path."""

from __future__ import annotations

import gzip
import html
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice

from conftest import NEWS


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    etag: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def article_html(title: str, date: str, text: str, canonical: str) -> bytes:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        f'<!doctype html><html><head><title>{html.escape(title)}</title><link rel="canonical" href="{canonical}">'
        f'<meta property="article:published_time" content="{date}"></head><body><nav>Home | World | Sport</nav>'
        f"<article><h1>{html.escape(title)}</h1>{paras}</article><footer>Copyright</footer></body></html>"
    ).encode()


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{html.escape(t)}</title><link>{u}</link></item>" for t, u in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{entries}</channel></rss>'.encode()


def corpus(n: int) -> list[tuple[str, str, str]]:
    """(title, date, text) of `n` benchmark articles, else of `n` made-up ones."""
    if NEWS.exists():
        with gzip.open(NEWS, "rt") as fh:
            recs = [json.loads(line) for line in islice(fh, n)]
        return [(r["title"], r["date"], r["text"]) for r in recs]
    towns = ["Vigo", "Porto", "Bilbao", "Gijon", "Cadiz", "Malaga", "Murcia", "Leon", "Soria", "Teruel"]
    return [
        (
            f"{towns[i % 10]} council meets, item {i}",
            f"2024-03-{i % 28 + 1:02d}",
            f"The council of {towns[i % 10]} met on day {i} to decide on the budget for the coming year, "
            f"after a long debate that lasted until the evening and drew a crowd of residents.\n"
            f"Its mayor, number {i}, approved budget {i * 7}, which pays for new schools, a library and the "
            f"repair of the old bridge over the river, and said the work would start in the spring.\n"
            f"Opposition members voted against it, saying the town could not afford the bridge this year.",
        )
        for i in range(n)
    ]


class NewsServer:
    def __init__(self, n_articles: int = 200) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: Counter[str] = Counter()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._http.server_address[1]}"
        links = []
        for i, (title, date, text) in enumerate(corpus(n_articles)):
            path = f"/a/{i}.html"
            self.pages[path] = Page(article_html(title, date, text, self.base + path), etag=f'"a{i}-1"')
            links.append((title, self.base + path))
        self.pages["/feed.xml"] = Page(rss(links), "application/rss+xml", etag='"feed-1"')
        self.links = links

    def edit(self, path: str, text: str) -> None:
        """Change an article's page and bump the feed (as a site does when it updates a story)."""
        title, url = next((t, u) for t, u in self.links if u.endswith(path))
        self.pages[path] = Page(article_html(title, "2022-09-01", text, url), etag=f'"{path}-2"')
        feed = self.pages["/feed.xml"]
        self.pages["/feed.xml"] = Page(feed.body + b"<!-- 2 -->", feed.content_type, etag='"feed-2"')

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.hits[self.path] += 1
                if self.path == "/never-finishes":  # a byte a second, forever
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        while True:
                            self.wfile.write(b"<p>.")
                            self.wfile.flush()
                            time.sleep(0.2)
                    except OSError:
                        return
                if self.path == "/silent":  # headers never come
                    time.sleep(5)
                    return
                if self.path == "/huge":  # 50 MB, no Content-Length: the cap must count bytes
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        for _ in range(50):
                            self.wfile.write(b"<p>" + b"x" * 1_000_000)
                    except OSError:
                        return
                    return
                page = server.pages.get(self.path)
                if page is None:
                    self.send_error(404, "Not Found")
                    return
                if page.etag and self.headers.get("If-None-Match") == page.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(page.body)))
                if page.etag:
                    self.send_header("ETag", page.etag)
                for k, v in page.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(page.body)

        return Handler


@contextmanager
def news_server(n_articles: int = 200) -> Iterator[NewsServer]:
    srv = NewsServer(n_articles)
    thread = threading.Thread(target=srv._http.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv._http.shutdown()
        srv._http.server_close()
