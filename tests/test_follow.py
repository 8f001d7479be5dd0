"""Keeping current (rag.follow): the feeds file, the poll interval, a follower that brings new
articles in with one conditional request per unchanged feed, `rag follow --once`, and
`rag serve --follow`: a new article in the feed is answered on the page within one poll while
another visitor's questions keep being answered."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hash_embedder import HashEmbedder
from news_server import Page, article_html, news_server, rss
from rag import Engine, FeedFollower, RagConfig, parse_every, read_feeds
from rag.eval.startup import child_env, free_port, stop, wait_ready


def test_the_feeds_file_and_the_interval(tmp_path: Path) -> None:
    f = tmp_path / "feeds.txt"
    f.write_text("# my feeds\nhttps://example.org/rss\n\n  http://news.test/a.html#top  \n")
    assert read_feeds(f) == ["https://example.org/rss", "http://news.test/a.html#top"]
    f.write_text("https://example.org/rss\nfile:///etc/passwd\n")
    with pytest.raises(ValueError, match=r"line 2: 'file:///etc/passwd' is not an http\(s\) URL"):
        read_feeds(f)
    f.write_text("# nothing\n")
    with pytest.raises(ValueError, match="names no URL"):
        read_feeds(f)
    with pytest.raises(ValueError, match="cannot read the feeds file"):
        read_feeds(tmp_path / "missing.txt")
    assert (parse_every("90s"), parse_every("15m"), parse_every("1h"), parse_every("30")) == (90, 900, 3600, 30)
    for bad, why in (("5s", "at least 10 s"), ("soon", "give a duration")):
        with pytest.raises(ValueError, match=why):
            parse_every(bad)


def test_a_follower_brings_in_new_articles_and_says_so(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    with news_server(5) as srv:
        cfg = RagConfig(store=tmp_path / "s", fetch_host_interval_s=0.0)
        with Engine(config=cfg, embedder=fake_embedder) as eng:
            follower = FeedFollower(eng, [srv.base + "/feed.xml"], every_s=60)
            assert "first poll under way" in follower.status()
            first = follower.poll()
            assert (first.added, first.requests) == (
                5,
                6,
            ) and "added 5, updated 0, failed 0; 6 web requests" in first.line()
            quiet = follower.poll()
            assert (quiet.added, quiet.requests) == (0, 1)
            assert "5 new since start, every 1 min" in follower.status()


def test_rag_follow_once(tmp_path: Path) -> None:
    with news_server(2) as srv:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(srv.base + "/feed.xml\n")
        env = {**child_env(), "RAG_FETCH_HOST_INTERVAL_S": "0"}
        run = subprocess.run(
            [sys.executable, "-m", "rag.cli", "follow", str(feeds), "--once", "--store", str(tmp_path / "s")],
            capture_output=True, text=True, env=env, timeout=300, check=False,
        )  # fmt: skip
        assert run.returncode == 0 and "added 2, updated 0, failed 0; 3 web requests" in run.stdout, run.stderr
        bad = subprocess.run(
            [sys.executable, "-m", "rag.cli", "follow", str(feeds), "--every", "1s", "--store", str(tmp_path / "s")],
            capture_output=True, text=True, env=env, timeout=300, check=False,
        )  # fmt: skip
        assert bad.returncode == 2 and "at least 10 s between polls" in bad.stderr


@pytest.mark.slow
def test_serve_follow_answers_a_new_article_within_a_poll(tmp_path: Path) -> None:
    """Issue 21's check: a new article in the feed is answered on the page within one poll
    interval plus its ingest, while another visitor's questions keep being answered."""
    from gradio_client import Client

    every = 10.0
    with news_server(20) as srv:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(srv.base + "/feed.xml\n")
        port = free_port()
        log = tmp_path / "serve.log"
        env = {**child_env(), "RAG_FETCH_HOST_INTERVAL_S": "0", "RAG_PAGE_MAX_QUESTIONS": "1000"}
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "rag.cli", "serve", "--store", str(tmp_path / "s"), "--port", str(port),
                 "--follow", str(feeds), "--every", f"{every:g}s"],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_ready(url, proc, log)
            client = Client(url, verbose=False)
            deadline = time.monotonic() + 120
            while "added 20" not in log.read_text():  # the first poll
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.5)
            latencies: list[float] = []
            stop_asking = threading.Event()

            def visitor() -> None:  # another visitor, asking about what is there already
                other = Client(url, verbose=False)
                while not stop_asking.is_set():
                    t0 = time.perf_counter()
                    other.predict(srv.links[3][0], api_name="/ask")
                    latencies.append(time.perf_counter() - t0)

            asker = threading.Thread(target=visitor, daemon=True)
            asker.start()
            text = "The harbour master of Vigo, Ana Ferreira, closed the port on Monday because of the storm."
            path = "/a/new.html"
            srv.pages[path] = Page(article_html("Vigo port closed", "2024-02-05", text, srv.base + path))
            srv.pages["/feed.xml"] = Page(
                rss([*srv.links, ("Vigo port closed", srv.base + path)]), "application/rss+xml"
            )
            t_new = time.monotonic()
            while True:
                ans = client.predict("Who closed the port of Vigo?", api_name="/ask")
                if "Ana Ferreira" in ans["answer"]:
                    break
                assert time.monotonic() - t_new < every + 30, log.read_text()[-2000:]
                time.sleep(0.5)
            waited = time.monotonic() - t_new
            stop_asking.set()
            asker.join(timeout=60)
            p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 2 else latencies[0]
            print(f"new article answered after {waited:.1f} s (poll every {every:g} s); "
                  f"{len(latencies)} other questions meanwhile, p95 {p95:.2f} s")  # fmt: skip
            assert latencies and p95 < 5
        finally:
            stop(proc)
