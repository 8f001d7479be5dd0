"""The load test, for real and small: one `rag serve` over the seed store, locust's users asking it
through the `/ask` API for a few seconds, and planted faults (a quote that is not in its article,
an error event, malformed output) that the load test's check must catch."""

from __future__ import annotations

import copy
import importlib.util
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag.eval.datasets import SEED_QUESTIONS

# locust is imported only by its own process (it monkey-patches the standard library with gevent)
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("locust") is None,
    reason="locust is not installed (the `test` extra: pip install '.[test]')",
)

QUESTION = "Who guaranteed the security of Russian bases?"


@pytest.fixture(scope="module")
def served(seed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """(url, articles.sqlite, the locust environment) of one `rag serve` over a copy of the seeds."""
    from rag.eval.load.run import servers
    from rag.eval.startup import child_env

    tmp = tmp_path_factory.mktemp("load")
    store = tmp / "store"
    shutil.copytree(seed_store, store)
    db = store / "articles.sqlite"
    env = {**child_env(), "LOAD_STORE_DB": str(db), "LOAD_QUESTIONS": str(SEED_QUESTIONS)}
    env.pop("LOAD_WAIT", None)
    with servers(store, 1, tmp, env) as urls:
        yield urls[0], db, env


def test_users_asking_rag_serve_get_verbatim_citations(
    served: tuple[str, Path, dict[str, str]], tmp_path: Path
) -> None:
    from rag.eval.load.run import Case, run_locust, table

    url, _, env = served
    case = Case(replicas=1, users=4, ingest=False)
    run_locust(case, [url], 8, tmp_path / "run", env)
    assert case.requests > 0 and case.rps > 0
    assert case.failures == 0, case.failures_head
    assert 0 < case.p50 <= case.p95 <= case.p99
    text = table([case], "rag load --users 4", 8)
    assert "| 1 | 4 | no |" in text and "rag load --users 4" in text


def test_questions_go_on_while_an_ingest_writes_the_served_store(
    served: tuple[str, Path, dict[str, str]], tmp_path: Path
) -> None:
    """The served store is written (new articles, rerun for the whole case) while users ask:
    no error, every quote verbatim. Serving processes once crashed here, reloading Chroma's
    files while the ingest wrote them."""
    from rag.eval.load.run import BackgroundIngest, Case, run_locust

    url, db, env = served
    case = Case(replicas=1, users=4, ingest=True)
    ingest = BackgroundIngest(Path("seeds"), db.parent, tmp_path, env, tmp_path)
    run_locust(case, [url], 8, tmp_path / "run", env, ingest)
    assert case.requests > 0 and case.failures == 0, case.failures_head
    assert ingest.runs >= 1 and not ingest.failed, case.ingest_note  # (2 here; a slower machine may fit one)


def test_a_quote_not_in_its_article_fails_the_question(
    served: tuple[str, Path, dict[str, str]], tmp_path: Path
) -> None:
    """Planted: the checker reads a copy of the store whose article texts differ from the served
    ones, so no cited quote is text[start:end] any more: every answer that cites fails (the seed
    set's unanswerable questions are refused, citing nothing)."""
    from rag.eval.load.run import Case, run_locust

    url, db, env = served
    planted = tmp_path / "articles.sqlite"
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as src, sqlite3.connect(planted) as dst:
        src.backup(dst)
        dst.execute("UPDATE articles SET text = upper(text)")
    case = Case(replicas=1, users=1, ingest=False)
    run_locust(case, [url], 3, tmp_path / "run", {**env, "LOAD_STORE_DB": str(planted)})
    assert 0 < case.failures <= case.requests
    assert "not verbatim" in case.failures_head


def test_check_catches_planted_faults_in_a_real_answer(served: tuple[str, Path, dict[str, str]]) -> None:
    from rag.eval.load.client import ArticleTexts, ask_once, check_answer, parse_reply

    url, db, _ = served
    outputs = ask_once(url, QUESTION)
    texts = ArticleTexts(db)
    assert outputs[0]["citations"] and check_answer(outputs, texts) is None

    def planted(change: Any) -> Any:
        bad = copy.deepcopy(outputs)
        change(bad[0]["citations"][0])
        return bad

    def shift(c: dict[str, Any]) -> None:
        c["start"] += 1

    def reword(c: dict[str, Any]) -> None:
        c["quote"] = c["quote"].replace("Syrian", "Russian")

    def elsewhere(c: dict[str, Any]) -> None:
        c["article_id"] = "no-such-article"

    def drop(c: dict[str, Any]) -> None:
        del c["end"]

    assert "not verbatim" in (check_answer(planted(shift), texts) or "")
    assert "not verbatim" in (check_answer(planted(reword), texts) or "")
    assert "not in the store" in (check_answer(planted(elsewhere), texts) or "")
    assert "malformed" in (check_answer(planted(drop), texts) or "")
    assert "malformed" in (check_answer([{"answer": "x"}], texts) or "")
    assert "malformed" in (check_answer({"not": "a list"}, texts) or "")
    # the reply: an error reply is reported as such, with the server's reason; a reply that is not
    # JSON, or holds neither data nor an error, is a failure
    with pytest.raises(RuntimeError, match="too long"):
        ask_once(url, "why? " * 1000)
    assert parse_reply('{"error": "boom"}') == ("error", {"error": "boom"})
    with pytest.raises(ValueError, match="not JSON"):
        parse_reply('{"data": [{truncated')
    with pytest.raises(ValueError, match="no data or error"):
        parse_reply('{"event_id": "abc"}')
