"""End to end: the real `rag serve` server, driven in a real headless browser (Debian's chromium
through playwright) and through `gradio_client`; plus the page's safe defaults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import SEED_ANSWER, SEED_QUESTION, SEED_SENTENCE, SEED_TITLE
from hash_embedder import HashEmbedder
from rag.eval.startup import free_port, stop, wait_ready
from rag.ui.app import parse_auth

pytestmark = pytest.mark.page  # the real server (and a browser, where chromium is installed)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Articles the tests make: one where "him" and "asylum" mean someone else, one off-topic.
OTHERS = [
    {
        "id": "assange-2012",
        "title": "Ecuador grants Julian Assange political asylum",
        "date": "2012-08-16",
        "source": "example-wire.com",
        "url": "https://example-wire.com/assange-asylum",
        "text": "Ecuador granted WikiLeaks founder Julian Assange political asylum on Thursday, two months "
        "after he took refuge in its London embassy. Foreign minister Ricardo Patino said Ecuador "
        "feared Assange could face persecution if he were extradited.",
    },
    {
        "id": "council-budget",
        "title": "City council approves road repair budget",
        "date": "2024-12-03",
        "source": "citynews.example",
        "url": "https://citynews.example/budget",
        "text": "The city council approved a budget of 12 million dollars for road repairs on Tuesday. "
        "The mayor said work on the worst streets would start in the spring.",
    },
]
# Every trick an article could try: a script, an event handler, template syntax.
EVIL_ARTICLE = (
    "Harbour festival <script>window.__xss = 'title'</script> report\n\n"
    "The harbour festival drew a record crowd of 40,000 visitors on Saturday, organisers said "
    "<script>window.__xss = 'script'</script> after the **count** [see](javascript:window.__xss='md').\n\n"
    "Fireworks lit up the bay <img src=x onerror=\"window.__xss = 'img'\"> after the parade, and "
    "${window.__xss = 'template'} and {{constructor.constructor('window.__xss = 1')()}} stayed text.\n"
)
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWERS = "#rag-chat .rag-answer:not(.rag-pending), #rag-chat .rag-refusal"


def wait_for_page(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    try:
        wait_ready(url, proc, log, timeout_s=timeout, poll_s=0.5)
    except (RuntimeError, TimeoutError) as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`rag serve` over the seed article and the articles above, on a free local port."""
    tmp = tmp_path_factory.mktemp("ui")
    (tmp / "others").mkdir()
    (tmp / "others" / "wire.jsonl").write_text("\n".join(json.dumps(a) for a in OTHERS))
    port = free_port()
    log = tmp / "server.log"
    # the tests ask from one address faster than a person would (test_questions_are_rate_limited)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "RAG_PAGE_MAX_QUESTIONS": "1000"}
    env.pop("RAG_AUTH", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rag.cli",
                "serve",
                "--store",
                str(tmp / "store"),
                "--port",
                str(port),
                "--ingest",
                "seeds",
                "--ingest",
                str(tmp / "others"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_page(url, proc, log)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium (never a downloaded browser), headless, with a fresh profile."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the [test] extra)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)")
    profile = tempfile.mkdtemp(prefix="rag-ui-chromium-")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=BROWSER_ARGS,
            viewport={"width": 1360, "height": 1000},
        )
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh page (a fresh Gradio session) that fails the test on any script error or any
    request to another server."""
    pg = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []  # offline: the page loads nothing from anywhere else (no web fonts)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    local = (server, "data:", "blob:")
    pg.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    pg.goto(server)
    pg.wait_for_selector("#rag-question textarea")
    yield pg
    pg.close()
    assert not errors, f"script errors on the page: {errors}"
    assert not outside, f"the page fetched from outside: {outside}"


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, wait for the finished answer bubble; return it."""
    before = page.locator(ANSWERS).count()
    page.fill("#rag-question textarea", question)
    page.press("#rag-question textarea", "Enter")
    page.wait_for_function(f"document.querySelectorAll({ANSWERS!r}).length > {before}", timeout=60_000)
    return page.locator(ANSWERS).nth(before)


def wait_or_shoot(page: Any, js_condition: str, shot: str, timeout: float = 30_000) -> None:
    """Wait until `js_condition` holds; on a timeout keep a screenshot in test-artifacts/."""
    try:
        page.wait_for_function(js_condition, timeout=timeout)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        raise


def test_answer_cites_the_sentence_and_the_citation_opens_it(page: Any) -> None:
    assert "3" in page.inner_text("#rag-stats")  # 3 articles
    bubble = ask(page, SEED_QUESTION)
    assert SEED_ANSWER in bubble.inner_text()
    assert "rag-refusal" not in (bubble.get_attribute("class") or "")
    sources = page.inner_text("#rag-sources")
    assert SEED_TITLE in sources and SEED_SENTENCE in sources
    assert "Assange" not in sources and "council" not in sources

    bubble.locator("a.rag-cite").first.click()
    mark = page.locator("#rag-viewer mark.rag-mark")
    mark.wait_for(timeout=20_000)
    assert mark.inner_text() == SEED_SENTENCE
    viewer = page.inner_text("#rag-viewer")
    assert SEED_TITLE in viewer and "Thousands of Syrians poured into streets" in viewer  # in context
    # The highlighted sentence was scrolled into view inside the article box.
    assert page.evaluate("""() => { const m = document.querySelector('#rag-viewer mark.rag-mark');
        const box = m.closest('.rag-article-text'); const a = m.getBoundingClientRect(),
        b = box.getBoundingClientRect(); return a.top >= b.top - 1 && a.bottom <= b.bottom + 1; }""")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"), full_page=True)


def test_follow_up_uses_the_conversation_and_clear_forgets_it(page: Any) -> None:
    assert "Assad" in ask(page, "Who fled to Moscow?").inner_text()
    follow = ask(page, "Who granted him asylum?")  # "him" is Assad only because of the history
    text = follow.inner_text()
    assert "Russia" in text and "Searched for" in text and "Assad" in text.split("Searched for")[1]
    sources = page.inner_text("#rag-sources")
    assert SEED_TITLE in sources and "Assange" not in sources and "council" not in sources

    off_topic = ask(page, "What is the boiling point of tungsten?")
    assert "rag-refusal" in (off_topic.get_attribute("class") or "")
    assert "No answer in the articles" in off_topic.inner_text()
    assert off_topic.locator("a.rag-cite").count() == 0
    assert "nothing is cited" in page.inner_text("#rag-sources")
    page.screenshot(path=str(ARTIFACTS / "ui-follow-up.png"), full_page=True)

    page.click("#rag-clear")
    page.wait_for_function(f"document.querySelectorAll({ANSWERS!r}).length === 0")
    # Without the history "him" is whoever the articles grant asylum to first: Assange.
    alone = ask(page, "Who granted him asylum?")
    assert "Searched for" not in alone.inner_text()
    assert "Ecuador grants Julian Assange political asylum" in page.inner_text("#rag-sources")


def test_settings_filter_the_search_and_bad_dates_are_explained(page: Any) -> None:
    page.click("#rag-settings button:has-text('Search settings')")
    page.fill("#rag-from input", "2024-13-45")
    page.fill("#rag-question textarea", SEED_QUESTION)
    page.press("#rag-question textarea", "Enter")
    page.get_by_text("From wants a date as YYYY-MM-DD").first.wait_for(timeout=20_000)
    assert page.locator(ANSWERS).count() == 0  # nothing was asked
    assert page.input_value("#rag-question textarea") == SEED_QUESTION  # nothing was lost

    page.fill("#rag-from input", "")
    page.click("#rag-source-filter input")
    page.get_by_role("option", name="citynews.example").click()
    page.keyboard.press("Escape")
    only_city = ask(page, SEED_QUESTION)
    assert "rag-refusal" in (only_city.get_attribute("class") or "")


def test_uploaded_article_with_markup_is_shown_as_text(page: Any, tmp_path: Path) -> None:
    evil = tmp_path / "harbour-festival.txt"
    evil.write_text(EVIL_ARTICLE)
    page.click("#rag-add button:has-text('Add articles')")
    page.locator("#rag-files").wait_for(state="visible")
    page.set_input_files("#rag-files input[type=file]", str(evil))
    wait_or_shoot(
        page, "document.querySelector('#rag-files').innerText.includes('harbour-festival.txt')", "ui-upload-failed.png"
    )
    page.click("#rag-add-btn")
    wait_or_shoot(
        page,
        "document.querySelector('#rag-summary textarea').value.includes('added 1')",
        "ui-ingest-failed.png",
        timeout=120_000,
    )
    assert "failed 0" in page.input_value("#rag-summary textarea")
    page.wait_for_function("document.querySelector('#rag-stats').innerText.includes('4')")

    bubble = ask(page, "How many visitors did the harbour festival draw?")
    said = bubble.inner_text()
    assert "<script>window.__xss = 'script'</script>" in said
    assert "**count** [see](javascript:" in said  # markdown in an article stays text too
    page.locator("#rag-sources a.rag-cite").first.click()
    page.locator("#rag-viewer mark.rag-mark").wait_for(timeout=20_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-upload-as-text.png"), full_page=True)
    viewer = page.inner_text("#rag-viewer")
    assert "<img src=x onerror=\"window.__xss = 'img'\">" in viewer
    assert "${window.__xss = 'template'}" in viewer and "{{constructor" in viewer
    assert "<script>window.__xss = 'title'</script>" in page.inner_text("#rag-sources")
    live = page.evaluate("""() => document.querySelectorAll(
        '#rag-chat .message-wrap script, #rag-chat .message-wrap img, #rag-sources script, ' +
        '#rag-sources img, #rag-viewer script, #rag-viewer img, a[href^="javascript"]').length""")
    assert live == 0
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_gradio_client_api(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    out = client.predict(SEED_QUESTION, api_name="/ask")
    assert not out["refused"] and SEED_ANSWER in out["answer"]
    cite = out["citations"][0]
    assert cite["quote"] == SEED_SENTENCE and cite["title"] == SEED_TITLE and "path" not in cite

    history = [["user", SEED_QUESTION], ["assistant", out["answer"]]]
    follow = client.predict("Who reported it?", history=history, api_name="/ask")
    assert not follow["refused"] and "RIA" in follow["answer"] and "Russian" in follow["query"]
    # Filters reach the engine: only the city-news source has nothing on Russian bases.
    only_city = client.predict(SEED_QUESTION, sources=["citynews.example"], api_name="/ask")
    assert only_city["refused"] and not only_city["citations"]
    # ... and so do dates (the seed article is dated 2024-12-08, from its text).
    assert client.predict(SEED_QUESTION, date_from="2025-01-01", api_name="/ask")["refused"]


def test_questions_are_rate_limited_per_client(tmp_path: Path, fake_embedder: HashEmbedder) -> None:
    from gradio_client import Client

    from rag import Engine, RagConfig
    from rag.ui.app import launch

    port = free_port()
    cfg = RagConfig(store=tmp_path / "store", page_max_questions=3, page_question_window_s=60)
    with Engine(config=cfg, embedder=fake_embedder) as eng:
        demo = launch(eng, port=port, block=False)
        try:
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            for _ in range(3):
                assert client.predict("Who fled to Moscow?", api_name="/ask")["refused"]  # an empty store
            with pytest.raises(Exception, match="Too many questions from your address: at most 3 in 60 s"):
                client.predict("Who fled to Moscow?", api_name="/ask")
        finally:
            demo.close()


def test_auth_and_local_binding(tmp_path: Path) -> None:
    """A password guards the page (and its API); the server binds 127.0.0.1 by default."""
    from rag import Engine
    from rag.ui.app import launch

    assert parse_auth(None) is None and parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)
    port = free_port()
    with Engine(store=tmp_path / "store") as eng:  # empty: no model needed
        demo = launch(eng, port=port, auth="ann:s3:cret", block=False)
        try:
            assert demo.server_name == "127.0.0.1" and demo.share_url is None
            base = f"http://127.0.0.1:{port}"
            assert httpx.get(f"{base}/config").status_code == 401
            with httpx.Client(base_url=base) as http:
                assert http.post("/login", data={"username": "ann", "password": "nope"}).status_code == 400
                assert http.post("/login", data={"username": "ann", "password": "s3:cret"}).status_code == 200
                assert http.get("/config").status_code == 200
            # five wrong guesses from one address lock that address out, not the owner at another
            elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")  # another loopback address
            with httpx.Client(base_url=base, transport=elsewhere) as guesser:
                for i in range(5):
                    guesser.post("/login", data={"username": "ann", "password": f"guess{i}"})
                assert guesser.post("/login", data={"username": "ann", "password": "s3:cret"}).status_code == 400
            with httpx.Client(base_url=base) as http:
                assert http.post("/login", data={"username": "ann", "password": "s3:cret"}).status_code == 200
        finally:
            demo.close()


def test_serve_refuses_a_malformed_password_before_starting(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s"), "--auth", "no-colon"])
    assert result.exit_code == 2 and "user:password" in result.output
    assert not (tmp_path / "s").exists()  # nothing was created or started


def test_serve_on_a_busy_port_is_one_line_naming_the_option(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "rag.cli", "serve", "--store", str(tmp_path / "s"), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert f"port {port} on 127.0.0.1 is in use" in proc.stderr and "--port" in proc.stderr
    assert not (tmp_path / "s").exists()  # checked before anything was opened or ingested
