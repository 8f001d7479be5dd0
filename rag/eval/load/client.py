"""The `/ask` API as a load test calls it, without locust (so the runner and the tests can import
it without gevent's monkey-patching): the questions, the call, and the check that every citation
is verbatim in the article the store holds."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from rag.eval.datasets import NEWS_QUESTIONS, SEED_QUESTIONS

# Gradio 6's plain-HTTP API for an event answered outside its queue (rag.ui.app): POST the
# inputs; the reply is JSON, {"data": [the outputs]} (HTTP 200) or {"error": ...} (HTTP 500,
# e.g. a question too long).
RUN = "/gradio_api/run/ask"


def default_questions() -> Path:
    """The news questions where the benchmark data is, else the seed questions."""
    return NEWS_QUESTIONS if NEWS_QUESTIONS.exists() else SEED_QUESTIONS


def load_questions(path: Path) -> list[tuple[str, str | None]]:
    """(question, as_of) for each row of a jsonl file with a `question` field (`as_of` optional:
    the news questions ask about their own week, as `rag eval --suite news` asks them)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = [(str(r["question"]), r.get("as_of")) for r in rows if r.get("question")]
    if not out:
        raise ValueError(f"{path}: no rows with a `question`")
    return out


def ask_inputs(question: str, as_of: str | None = None, session: str | None = None) -> dict[str, Any]:
    """The POST body: every input of `Page.api_ask` in order (Gradio wants all seven, it does not
    apply the Python defaults): question, history, as_of, date_from, date_to, sources, top_k.
    `session`: the user's Gradio session, kept across their questions as the page and
    gradio_client keep it (without one, Gradio builds a new session per call: 12% of a loaded
    server's time)."""
    body: dict[str, Any] = {"data": [question, None, as_of, None, None, None, None]}
    if session:
        body["session_hash"] = session
    return body


def parse_reply(body: str) -> tuple[str, Any]:
    """A reply of RUN: ("complete", outputs) or ("error", details). ValueError when it is not
    JSON or holds neither."""
    try:
        got = json.loads(body)
    except json.JSONDecodeError:
        raise ValueError(f"the reply is not JSON: {body[:200]!r}") from None
    if isinstance(got, dict) and "data" in got:
        return "complete", got["data"]
    if isinstance(got, dict) and "error" in got:
        return "error", got
    raise ValueError(f"no data or error in the reply: {body[:200]!r}")


class ArticleTexts:
    """Article texts by id from a store's articles.sqlite, opened read-only, cached per id."""

    def __init__(self, db: Path) -> None:
        if not db.exists():
            raise FileNotFoundError(f"{db} not found (LOAD_STORE_DB: a store's articles.sqlite)")
        self.db = db
        self.cache: dict[str, str | None] = {}
        self._conn: sqlite3.Connection | None = None

    def __call__(self, article_id: str) -> str | None:
        if article_id not in self.cache:
            if self._conn is None:
                self._conn = sqlite3.connect(f"{self.db.resolve().as_uri()}?mode=ro", uri=True)
            row = self._conn.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is None:  # not cached: an ingest running beside the test may add it later
                return None
            self.cache[article_id] = row[0]
        return self.cache[article_id]


def check_answer(outputs: Any, texts: ArticleTexts | Any) -> str | None:
    """Why an `/ask` result is wrong, or None. `outputs` is the reply's data: a list holding
    the `rag ask --json` object; every citation must quote its article exactly:
    `quote == text[start:end]`. `texts(article_id)` gives an article's text (None: unknown)."""
    if not (isinstance(outputs, list) and len(outputs) == 1 and isinstance(outputs[0], dict)):
        return f"malformed output: expected a list with one object, got {str(outputs)[:200]}"
    out = outputs[0]
    missing = {"question", "answer", "refused", "citations"} - out.keys()
    if missing:
        return f"malformed output: no {', '.join(sorted(missing))}"
    if not isinstance(out["citations"], list):
        return "malformed output: citations is not a list"
    for c in out["citations"]:
        try:
            n, article_id, quote, start, end = c["n"], c["article_id"], c["quote"], c["start"], c["end"]
        except (KeyError, TypeError):
            return f"malformed citation: {str(c)[:200]}"
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(quote, str)):
            return f"malformed citation [{n}]: start/end/quote of the wrong type"
        text = texts(article_id)
        if text is None:
            return f"citation [{n}] cites article {article_id}, which is not in the store"
        if text[start:end] != quote:
            return f"citation [{n}] is not verbatim: text[{start}:{end}] of {article_id} is {text[start:end][:80]!r}"
    return None


def ask_once(base_url: str, question: str, as_of: str | None = None, timeout_s: float = 120) -> Any:
    """One question, blocking (the runner's warm-up): the reply's outputs. RuntimeError when
    the reply is an error."""
    req = urllib.request.Request(
        base_url.rstrip("/") + RUN,
        data=json.dumps(ask_inputs(question, as_of)).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as r:
            body = r.read().decode()
    except urllib.error.HTTPError as exc:  # an error reply (HTTP 500) says why in its body
        body = exc.read().decode()
    event, data = parse_reply(body)
    if event != "complete":
        raise RuntimeError(f"/ask answered an error: {data}")
    return data
