"""Pages and feeds in (rag.text.web, through Engine.ingest and `rag ingest URL`), against a real
HTTP server on 127.0.0.1 (tests/news_server.py): a feed of 200 articles, conditional requests,
an edited article replaced, and every bad case of issue 21 with its message."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hash_embedder import HashEmbedder
from news_server import NewsServer, Page, article_html, news_server
from rag import Article, Engine, RagConfig
from rag.text.web import Fetcher, url_id


@pytest.fixture()
def site() -> Iterator[NewsServer]:
    with news_server(200) as srv:
        yield srv


def web_engine(tmp_path: Path, embedder: HashEmbedder, **cfg: float) -> Engine:
    settings = {"fetch_host_interval_s": 0.0, "fetch_timeout_s": 1.0, "fetch_deadline_s": 2.0, **cfg}
    return Engine(config=RagConfig(store=tmp_path / "store", **settings), embedder=embedder)  # type: ignore[arg-type]


def test_a_feed_is_ingested_then_costs_one_request_and_an_edit_replaces(
    site: NewsServer, tmp_path: Path, fake_embedder: HashEmbedder
) -> None:
    feed = site.base + "/feed.xml"
    with web_engine(tmp_path, fake_embedder) as eng:
        first = eng.ingest([feed], progress=False)
        assert len(first.added) == 200 and not first.failed, first.summary()
        assert first.requests == 201 and "201 web requests" in first.summary()
        art = eng.store.db.get(url_id(site.links[7][1]))
        assert art is not None and art.url == site.links[7][1] and art.dated_by == "metadata"

        before = sum(site.hits.values())
        again = eng.ingest([feed], progress=False)
        assert sum(site.hits.values()) - before == 1 and again.requests == 1  # one conditional request
        assert again.chunks_embedded == 0 and not again.added and not again.updated

        site.edit("/a/7.html", "The harbour of Vigo reopened on Tuesday after the storm, said Ana Ferreira.")
        third = eng.ingest([feed], progress=False)
        assert third.updated == [url_id(site.links[7][1])] and not third.added, third.summary()
        assert len(third.unchanged) == 199  # each a 304
        assert "Ana Ferreira" in eng.store.db.get(url_id(site.links[7][1])).text  # type: ignore[union-attr]
        assert eng.stats().articles == 200


def test_bad_links_get_their_reason_and_lose_nothing(
    site: NewsServer, tmp_path: Path, fake_embedder: HashEmbedder
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "The port of Gijon closed on Monday because of the storm.")
    pdf = tmp_path / "doc.pdf"
    fig.savefig(pdf)
    plt.close(fig)
    b = site.base
    site.pages["/doc.pdf"] = Page(pdf.read_bytes(), "application/pdf")
    site.pages["/to-file"] = Page(b"", status=302, headers={"Location": "file:///etc/passwd"})
    site.pages["/broken.rss"] = Page(b"this is { not xml", "application/rss+xml")
    again = f"<item><link>{b}/a/0.html</link></item></channel>".encode()
    site.pages["/twice.xml"] = Page(site.pages["/feed.xml"].body.replace(b"</channel>", again), "application/rss+xml")
    with web_engine(tmp_path, fake_embedder) as eng:
        eng.ingest([f"{b}/a/0.html"], progress=False)
        t0 = time.monotonic()
        rep = eng.ingest(
            [f"{b}/missing", f"{b}/never-finishes", f"{b}/silent", f"{b}/huge", f"{b}/to-file",
             f"{b}/broken.rss", f"{b}/doc.pdf", "ftp://example.org/x"],
            progress=False,
        )  # fmt: skip
        assert time.monotonic() - t0 < 15
        reasons = {f.path.removeprefix(b): f.reason for f in rep.failed}
        assert reasons["/missing"] == "the server answered 404 Not Found"
        assert reasons["/never-finishes"] == "the page did not finish within 2 s"
        assert reasons["/silent"] == "no answer within 1 s"
        assert reasons["/huge"] == "over 10 MB, the limit for one article (RAG_MAX_FILE_MB)"
        assert reasons["/to-file"] == "redirects to 'file:///etc/passwd', which is not an http(s) link"
        assert reasons["/broken.rss"].startswith("not an RSS or Atom feed")
        assert "only http(s) links are fetched" in reasons["ftp://example.org/x"]
        assert rep.added == [url_id(f"{b}/doc.pdf")]  # a page that is a PDF is read as one
        assert "Gijon" in eng.store.db.get(rep.added[0]).text  # type: ignore[union-attr]
        assert eng.stats().articles == 2  # the page stored before is still there

        twice = eng.ingest([f"{b}/twice.xml"], progress=False)  # lists /a/0.html twice
        assert len(twice.added) == 199 and twice.unchanged == [url_id(f"{b}/a/0.html")]
        assert site.hits["/a/0.html"] == 2  # once before, once (conditional) now: not twice now


def test_requests_to_one_host_are_spaced() -> None:
    with news_server(3) as srv:
        fetcher = Fetcher(host_interval_s=0.3)
        t0 = time.monotonic()
        for _, url in srv.links:
            assert fetcher.get(url).status == 200
        assert time.monotonic() - t0 >= 0.6
        fetcher.close()


def test_rag_ingest_takes_a_url(tmp_path: Path) -> None:
    with news_server(3) as srv:
        harbour = srv.base + "/harbour.html"
        text = "The harbour master of Vigo, Ana Ferreira, closed the port on Monday because of the storm."
        srv.pages["/harbour.html"] = Page(article_html("Vigo port closed", "2024-02-05", text, harbour))
        env = {"HF_HUB_OFFLINE": "1", "RAG_FETCH_HOST_INTERVAL_S": "0", "PATH": "/usr/bin:/bin"}
        run = subprocess.run(
            [sys.executable, "-m", "rag.cli", "ingest", srv.base + "/feed.xml", harbour, f"{srv.base}/nope",
             "--store", str(tmp_path / "s"), "--quiet"],
            capture_output=True, text=True, timeout=300, env=env, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert "added 4, updated 0, unchanged 0, failed 1" in run.stdout and "6 web requests" in run.stdout
        assert f"failed: {srv.base}/nope: the server answered 404 Not Found" in run.stdout
        ask = subprocess.run(
            [sys.executable, "-m", "rag.cli", "ask", "Who closed the port of Vigo?", "--store", str(tmp_path / "s")],
            capture_output=True, text=True, timeout=300, env=env, check=False,
        )  # fmt: skip
        assert ask.returncode == 0 and "Ana Ferreira" in ask.stdout, ask.stdout + ask.stderr
        assert f"Vigo port closed (2024-02-05) {harbour}" in ask.stdout


def test_an_article_from_a_url_is_an_article() -> None:
    with news_server(1) as srv:
        fetcher = Fetcher()
        from rag.text.web import read_page

        art = read_page(fetcher.get(srv.links[0][1]))
        fetcher.close()
    assert isinstance(art, Article) and art.id == url_id(srv.links[0][1]) and "Home | World" not in art.text
