"""Each fault of issue 9's table, reproduced first, then fixed: a clear message, nothing lost."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED_QUESTION, SEEDS
from rag import Answer, Article, Engine, RagConfig
from rag.embed.embedder import Embedder
from rag.store.guard import StoreError
from rag.store.ingest import SENTENCE_CALL


def cli(
    *args: str | bytes, store: Path | None = None, user: int | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **extra}
    if store is not None:
        env["RAG_STORE"] = str(store)
    cmd: list[str | bytes] = [sys.executable, "-m", "rag.cli", *args]
    if user is not None:  # drop root's rights, so a read-only folder is really read-only
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)


# --- files ------------------------------------------------------------------------------------
def test_a_lone_surrogate_fails_only_its_record(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "ok1", "text": "The first record is fine."}\n'
        '{"id": "sur", "text": "Broken \\ud800 text here."}\n'
        '{"id": "ok2", "text": "The third record is fine too."}\n'
    )
    other = tmp_path / "other.txt"
    other.write_text("Another file.\n\nIts text is stored as well.")
    rep = engine.ingest([bad, other], progress=False)
    assert {"ok1", "ok2"} <= set(rep.added) and len(rep.added) == 3
    assert len(rep.failed) == 1
    assert "line 2: the text holds a lone surrogate (\\ud800), which is not valid Unicode" in rep.failed[0].reason


def test_a_binary_file_named_txt_is_refused(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "program.txt"
    f.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 40)
    rep = engine.ingest([f], progress=False)
    assert not rep.added and "looks like a binary file, not text" in rep.failed[0].reason


def test_latin1_text_is_refused_clearly(engine: Engine, tmp_path: Path) -> None:
    f = tmp_path / "old.txt"
    f.write_bytes("Caf\u00e9 news from Z\u00fcrich.\n\nThe mayor opened a bridge.".encode("latin-1"))
    rep = engine.ingest([f], progress=False)
    assert not rep.added
    assert "not valid UTF-8 (byte 0xe9 at position 3)" in rep.failed[0].reason
    assert "save it as UTF-8" in rep.failed[0].reason


def test_files_over_the_size_limit_are_refused_fast(tmp_path: Path, embedder: Embedder) -> None:
    cfg = RagConfig(store=tmp_path / "s", max_file_mb=1.0)
    big = tmp_path / "big.txt"
    big.write_text("A sentence of the long file. " * 40_000)  # 1.2 MB
    rec = tmp_path / "big.jsonl"
    rec.write_text(
        '{"id": "huge", "text": "' + "Words and more words. " * 60_000 + '"}\n'
        '{"id": "small", "text": "A small record is fine."}\n'
    )
    with Engine(config=cfg, embedder=embedder) as eng:
        t0 = time.perf_counter()
        rep = eng.ingest([big, rec], progress=False)
        assert time.perf_counter() - t0 < 10
    assert rep.added == ["small"]
    reasons = " | ".join(f.reason for f in rep.failed)
    assert "the file is 1.2 MB, over the limit of 1 MB for one article (RAG_MAX_FILE_MB)" in reasons
    assert "line 1: the record is over 1 MB, the limit for one article (RAG_MAX_FILE_MB)" in reasons  # unread


def test_a_long_article_is_embedded_in_bounded_batches(tmp_path: Path, embedder: Embedder) -> None:
    sizes: list[int] = []

    class Counting:
        name, dim = embedder.name, embedder.dim

        def embed(self, texts):  # type: ignore[no-untyped-def]
            sizes.append(len(texts))
            return embedder.embed(texts)

    cfg = RagConfig(store=tmp_path / "s", ingest_batch_chunks=16)
    text = " ".join(f"Sentence number {i} of a long article about the harbour." for i in range(1500))
    with Engine(config=cfg, embedder=Counting()) as eng:
        eng.ingest_articles([Article(id="long", text=text)], progress=False)
        assert eng.check().ok
    # the chunks `ingest_batch_chunks` at a time; its 1,500 sentences (stored sentence vectors)
    # in calls of a fixed size, whatever the setting (rag/store/ingest.py: SENTENCE_CALL)
    chunk_calls, sentence_calls = sizes[: sizes.index(SENTENCE_CALL)], sizes[sizes.index(SENTENCE_CALL) :]
    assert len(chunk_calls) > 3 and max(chunk_calls) <= 16
    assert sum(sentence_calls) == 1500 and max(sentence_calls) == SENTENCE_CALL


def test_an_update_interrupted_before_its_vectors_is_redone(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.ingest_articles([Article(id="u", text="The first version. It has two sentences.")], progress=False)
    new = Article(id="u", text="The second version is different. Entirely new words here.")

    def crash(*_: object) -> None:
        raise KeyboardInterrupt  # a kill between deleting the old vectors and storing the new

    monkeypatch.setattr(engine.store.vectors, "upsert", crash)
    with pytest.raises(KeyboardInterrupt):
        engine.ingest_articles([new], progress=False)
    monkeypatch.undo()
    assert not engine.check().ok
    again = engine.ingest_articles([new], progress=False)
    assert again.updated == ["u"]  # not "unchanged": the half-written article is redone
    assert engine.check().ok and "second version" in engine.article("u").text  # type: ignore[union-attr]


# --- stores -----------------------------------------------------------------------------------
def test_store_on_a_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("not a folder")
    res = cli("stats", "--store", str(f))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "is a file, not a folder: --store wants a folder" in res.stderr


def test_an_argument_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    res = cli("ingest", os.fsencode(str(tmp_path)) + b"/caf\xe9.txt", store=tmp_path / "s")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "is not valid UTF-8" in res.stderr


def test_someone_elses_sqlite_is_left_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir()
    db = folder / "articles.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE articles (name TEXT, price REAL)")
    con.execute("INSERT INTO articles VALUES ('pen', 1.5)")
    con.commit()
    con.close()
    before = db.read_bytes()
    for args in (("stats",), ("ingest", str(SEEDS), "--quiet")):
        res = cli(*args, "--store", str(folder))
        assert res.returncode == 2 and "is an SQLite file of another program" in res.stderr, res.stderr
    assert db.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["articles.sqlite"]


def test_an_unrelated_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes")
    with pytest.raises(StoreError, match="is not empty and holds no newsrag store"):
        Engine(store=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.fixture()
def public_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's own is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="rag-ro-test-"))
    path.chmod(0o755)
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def test_a_read_only_store_answers(seed_store: Path, public_tmp: Path) -> None:
    import shutil

    store = public_tmp / "store"
    shutil.copytree(seed_store, store)
    if os.geteuid() == 0:
        user = 65534  # nobody: owns nothing here, so cannot write
        os.system(f"chmod -R a+rX,go-w {store}")
    else:
        user = None
        os.system(f"chmod -R a-w {store}")
    stats = cli("stats", store=store, user=user)
    assert stats.returncode == 0 and "articles: 1" in stats.stdout, stats.stderr
    ans = cli("ask", SEED_QUESTION, store=store, user=user, RAG_EMBED_BACKEND="torch")
    assert ans.returncode == 0 and "Syrian insurgents" in ans.stdout, ans.stderr
    ing = cli("ingest", str(SEEDS), "--quiet", store=store, user=user)
    assert ing.returncode == 2 and "is read-only: it can be asked, not changed" in ing.stderr
    assert "Traceback" not in ing.stderr + ans.stderr


def test_a_store_made_read_only_mid_ingest_stops_clean_and_is_mended(public_tmp: Path) -> None:
    """Issue 19: it was ~190 lines of SQLite/Chroma traceback, then SIGBUS."""
    if os.geteuid() != 0:
        pytest.skip("needs root: to take the rights of a running ingest owned by another user")
    import json
    import shutil

    store, data = public_tmp / "store", public_tmp / "many.jsonl"
    store.mkdir()
    shutil.chown(store, 65534, 65534)
    words = ["harbour", "council", "budget", "storm", "election", "court", "bridge", "school", "river", "hospital"]
    data.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"a{i}",
                    "title": f"Item {i}",
                    "text": f"Story {i}: the {words[i % 10]} "
                    f"of town {i} had news on day {i % 28 + 1}, said {words[(i * 7) % 10]} officials.",
                }
            )
            + "\n"
            for i in range(3000)
        )
    )
    data.chmod(0o644)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAG_STORE": str(store), "RAG_EMBED_BACKEND": "torch"}
    run = subprocess.Popen(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "rag.cli",
            "ingest",
            str(data),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 240
    while not (store / "store.json").exists():  # written with the first batch stored
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.05)
    os.system(f"chmod -R a-w {store}")
    out, err = run.communicate(timeout=240)
    os.system(f"chmod -R u+w {store}")
    assert run.returncode == 2, (out, err)
    assert "became read-only during the ingest" in err and "rag check --repair" in err
    assert "Traceback" not in err and "─" not in err  # no rich traceback either
    repair = cli("check", "--repair", store=store, user=65534)
    assert repair.returncode == 0 and repair.stdout.rstrip().endswith("ok"), repair.stdout + repair.stderr
    again = cli("check", store=store, user=65534)
    assert again.returncode == 0 and "problem" not in again.stdout, again.stdout
    stats = cli("stats", store=store, user=65534)
    kept = int(re.search(r"articles: (\d+)", stats.stdout).group(1))  # type: ignore[union-attr]
    assert 0 < kept < 3000


# --- readers see other writers -----------------------------------------------------------------
def test_a_running_engine_sees_another_process_ingest(seed_engine: Engine, tmp_path: Path) -> None:
    assert "Syrian insurgents" in seed_engine.ask(SEED_QUESTION).answer  # caches its indexes
    new = tmp_path / "harbour.txt"
    new.write_text(
        "Harbour news\n\nThe harbour master of Vigo, Ana Ferreira, closed the port on Monday because of the storm."
    )
    res = cli("ingest", str(new), "--quiet", store=seed_engine.store.folder)
    assert res.returncode == 0, res.stderr
    ans = seed_engine.ask("Who closed the port of Vigo?")
    assert not ans.refused and "Ana Ferreira" in ans.answer
    assert ans.citations[0].title == "Harbour news"


def test_readers_keep_the_saved_keyword_index_while_a_writer_runs(seed_engine: Engine, embedder: Embedder) -> None:
    from rag.models import ArticleRecord
    from rag.store.ingest import article_digest
    from rag.text.splitter import split_article

    with Engine(store=seed_engine.store.folder, embedder=embedder) as reader:
        before = reader.store.keywords
        art = Article(id="n1", text="The new bridge in Tarbes opened. Crowds came to see it.")
        chunks = split_article(art)
        with seed_engine.store.writing():  # a writer mid-run: stored, keyword index not yet rebuilt
            seed_engine.store.put_many(
                [ArticleRecord(art, article_digest(art), tuple(chunks))], embedder.embed([c.text for c in chunks])
            )
            assert reader.store.keywords is before  # no rebuild per question while it writes
        # the writer stopped without its rebuild (as if killed): the reader builds it from the texts
        assert "n1" in reader.store.keywords.article_ids


# --- the page ---------------------------------------------------------------------------------
def test_auth_is_throttled() -> None:
    import asyncio

    from rag.ui.auth import throttled_auth

    now, who = [0.0], ["10.0.0.66"]
    auth = throttled_auth(
        "ann", "s3cret", max_failures=5, window_s=60, delay_s=0, clock=lambda: now[0], client=lambda: who[0]
    )
    tries: list[bool] = [asyncio.run(auth("ann", f"guess{i}")) for i in range(50)]
    assert not any(tries)
    assert not asyncio.run(auth("ann", "s3cret"))  # the guesser is locked out: even the right one waits
    who[0] = "127.0.0.1"
    assert asyncio.run(auth("ann", "s3cret"))  # the owner, from elsewhere, is not
    who[0] = "10.0.0.66"
    now[0] = 61.0
    assert asyncio.run(auth("ann", "s3cret")) and not asyncio.run(auth("bob", "s3cret"))


def test_a_wrong_password_costs_a_second() -> None:
    import asyncio

    from rag.ui.auth import throttled_auth

    auth = throttled_auth("ann", "s3cret", delay_s=0.3)
    t0 = time.perf_counter()
    assert not asyncio.run(auth("ann", "nope"))
    assert time.perf_counter() - t0 >= 0.3


def test_upload_names_never_leave_their_folder() -> None:
    from rag.ui.app import upload_name

    for hostile in ("../../etc/passwd", "/etc/passwd", "..\\..\\x.txt", "..", ".bashrc", ""):
        name = upload_name(hostile)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and name


def test_uploads_over_the_limit_are_refused_and_questions_are_not_held(seed_engine: Engine, tmp_path: Path) -> None:
    import gradio as gr

    from rag.ui.app import Page

    page = Page(seed_engine)
    big = tmp_path / "big.jsonl"
    big.write_bytes(b" " * int(seed_engine.config.max_upload_mb * 1e6 + 10))
    with pytest.raises(gr.Error, match=r"big.jsonl is 50.0 MB, over the upload limit of 50 MB"):
        page.add_files([str(big)], progress=lambda *a, **k: None)  # type: ignore[arg-type]
    small = tmp_path / "note.txt"
    small.write_text("Harbour news\n\nThe harbour of Vigo reopened on Tuesday.")
    asked: list[bool] = []
    request = page.request(SEED_QUESTION, None, None, None, None, None)

    def on_progress(*_: object, **__: object) -> None:  # mid-upload: another thread's question is answered
        answers: list[Answer] = []
        asker = threading.Thread(target=lambda: answers.append(page.ask(request, None)))
        asker.start()
        asker.join(timeout=30)
        asked.append(bool(answers) and not answers[0].refused)

    page.add_files([str(small)], progress=on_progress)  # type: ignore[arg-type]
    assert asked and all(asked)


def test_an_upload_of_a_records_bomb_is_refused_whole_and_not_kept(seed_engine: Engine, tmp_path: Path) -> None:
    import gzip

    from rag.ui.app import Page

    page = Page(seed_engine)
    before = seed_engine.stats().articles
    bomb = tmp_path / "tiny.jsonl.gz"  # ~100 kB: within the upload limit, 100,001 records
    bomb.write_bytes(gzip.compress(b'{"id": "t", "text": "x"}\n' * 100_001))
    t0 = time.perf_counter()
    summary, _, _ = page.add_files([str(bomb)], progress=lambda *a, **k: None)  # type: ignore[arg-type]
    assert time.perf_counter() - t0 < 10
    assert "more than 100,000 records, over the limit for one file" in summary
    assert not (Path(seed_engine.config.store) / "uploads" / "tiny.jsonl.gz").exists()
    assert seed_engine.stats().articles == before
    assert not seed_engine.ask(SEED_QUESTION).refused


def test_an_upload_of_a_six_gib_record_is_refused_small_while_others_ask(seed_engine: Engine, tmp_path: Path) -> None:
    """Issue 19: it took `rag serve` from 0.7 to 6 GB in 21 s, and the page down for everyone."""
    import gzip

    import psutil

    from rag.ui.app import Page

    page = Page(seed_engine)
    bomb = tmp_path / "one-record.jsonl.gz"  # 6.4 MB of concatenated gzip members, 6.4 GB inside
    bomb.write_bytes(
        gzip.compress(b'{"id": "b", "text": "') + gzip.compress(b"a" * 1_000_000, 9) * 6442 + gzip.compress(b'"}\n')
    )
    me = psutil.Process()
    base, peak = me.memory_info().rss, 0
    result: list[str] = []
    upload = threading.Thread(
        target=lambda: result.append(page.add_files([str(bomb)], progress=lambda *a, **k: None)[0])  # type: ignore[arg-type]
    )
    t0 = time.perf_counter()
    upload.start()
    answered = 0
    while upload.is_alive():  # another visitor's questions, answered meanwhile
        answered += not page.ask(page.request(SEED_QUESTION, None, None, None, None, None), None).refused
        peak = max(peak, me.memory_info().rss)
        upload.join(timeout=0.5)  # a person asks every few seconds, not in a tight loop
    upload.join()
    assert time.perf_counter() - t0 < 10 and answered >= 1
    assert "MB of records (decompressed)" in result[0] and "added 0" in result[0], result
    assert peak - base < 500e6  # read a piece at a time
    assert not (Path(seed_engine.config.store) / "uploads" / bomb.name).exists()
