"""End to end through the `rag` command line, in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEED_ANSWER, SEED_QUESTION, SEED_TITLE, SEEDS

pytestmark = pytest.mark.model  # the command line loads the real model in its own process


def rag(*args: str, store: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_STORE": str(store)}
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_ingest_ask_json_stats_delete(tmp_path: Path) -> None:
    store = tmp_path / "store"
    out = rag("ingest", str(SEEDS), "--quiet", store=store).stdout
    assert "added 1, updated 0, unchanged 0, failed 0" in out
    again = rag("ingest", str(SEEDS), "--quiet", store=store).stdout
    assert "added 0, updated 0, unchanged 1" in again and "embedded 0 chunks" in again

    res = json.loads(rag("ask", SEED_QUESTION, "--json", store=store).stdout)
    assert set(res) >= {"question", "answer", "refused", "citations", "timings_ms"}
    assert not res["refused"] and SEED_ANSWER in res["answer"]
    text = (SEEDS / "000_943095c08cca1460.txt").read_text()
    for c in res["citations"]:
        assert set(c) >= {"n", "article_id", "title", "url", "date", "path", "quote", "start", "end", "score"}
        assert text[c["start"] : c["end"]] == c["quote"]

    plain = rag("ask", SEED_QUESTION, store=store).stdout
    assert "Sources:" in plain and f"[1] {SEED_TITLE}" in plain
    streamed = rag("ask", SEED_QUESTION, "--stream", store=store).stdout
    assert streamed == plain  # the quoting answerer drafts nothing: the same answer, once

    refused = json.loads(rag("ask", "What is the capital of Australia?", "--json", store=store).stdout)
    assert refused["refused"] is True and refused["citations"] == []

    assert "articles: 1" in rag("stats", store=store).stdout
    art_id = res["citations"][0]["article_id"]
    assert f"deleted {art_id}" in rag("delete", art_id, store=store).stdout
    assert "articles: 0" in rag("stats", store=store).stdout


def test_clear_errors(tmp_path: Path) -> None:
    store = tmp_path / "store"
    bad = rag("ask", "anything?", store=store, check=False)
    assert bad.returncode == 2 and "run `rag ingest PATH` first" in bad.stderr
    bad = rag("ask", "q?", "--as-of", "last week", store=store, check=False)
    assert bad.returncode == 2 and "--as-of wants a date as YYYY-MM-DD" in bad.stderr
    bad = rag("delete", "nope", store=store, check=False)
    assert bad.returncode == 2 and "no article with id 'nope'" in bad.stderr
    bad = rag("ingest", str(tmp_path / "missing"), "--quiet", store=store, check=False)
    assert bad.returncode == 1 and "no such file or folder" in bad.stdout


@pytest.mark.parametrize(
    ("flag", "want"), [("--keep-unsupported", True), ("--remove-unsupported", False), (None, None)]
)
def test_ask_passes_keep_unsupported_to_the_config(
    flag: str | None, want: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import rag.cli.core as core

    seen: dict[str, object] = {}

    def capture(store: Path | None, **update: object) -> object:
        seen.update(update)
        raise SystemExit(0)  # stop before anything is loaded

    monkeypatch.setattr(core, "engine_for", capture)
    CliRunner().invoke(core.app, ["ask", "Who fled?", *([flag] if flag else [])])
    assert seen["keep_unsupported"] is want  # None: RagConfig's default (remove) stands
    assert core.config_for(None, keep_unsupported=want).keep_unsupported is bool(want)


def test_ask_prints_no_terminal_control_sequences(tmp_path: Path) -> None:
    from rag.cli.core import printable

    evil = "Syrian insurgents\x1b]0;pwned\x07 guaranteed\x1b]8;;http://evil.example\x07 the bases\x1b[2J\x1b[31m."
    assert printable(evil) == "Syrian insurgents guaranteed the bases."
    # JSON carries any character (a text file with escapes is refused as binary at ingest)
    record = {"id": "evil", "title": "Bases\x1b]0;title\x07", "text": f"RIA said {evil} It was Sunday."}
    (tmp_path / "a.jsonl").write_text(json.dumps(record) + "\n")
    store = tmp_path / "store"
    rag("ingest", str(tmp_path / "a.jsonl"), "--quiet", store=store)
    out = rag("ask", "Who guaranteed the bases?", store=store).stdout
    assert "guaranteed the bases" in out and "\x1b" not in out and "\x07" not in out
