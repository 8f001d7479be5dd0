"""Bad input, table-driven: every kind gets its expected message, and the articles stored
before it still answer. (Read-only folders need a second user: tests/test_faults.py.)"""

from __future__ import annotations

import gzip
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import SEED_QUESTION
from rag import Engine
from rag.store.guard import StoreError

Case = Callable[[Engine, Path], str]


def ask(question: str) -> Case:
    def run(eng: Engine, _: Path) -> str:
        try:
            ans = eng.ask(question)
        except ValueError as exc:
            return f"error: {exc}"
        return "refused" if ans.refused else "answered"

    return run


def ask_with(history: object) -> Case:
    def run(eng: Engine, _: Path) -> str:
        try:
            eng.ask("Where did he go?", history=history)  # type: ignore[arg-type]
        except ValueError as exc:
            return f"error: {exc}"
        return "answered"

    return run


def ingest(make: Callable[[Path], Path | str]) -> Case:
    def run(eng: Engine, tmp: Path) -> str:
        rep = eng.ingest([make(tmp)], progress=False)
        return " | ".join([f.reason for f in rep.failed] + [f"added {len(rep.added)}"])

    return run


def open_store(make: Callable[[Path], Path]) -> Case:
    def run(_: Engine, tmp: Path) -> str:
        try:
            Engine(store=make(tmp)).close()
        except StoreError as exc:
            return f"error: {exc}"
        return "opened"

    return run


def write(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return p

    return make


def sparse(name: str, size: int) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        p = tmp / name
        with p.open("wb") as fh:
            fh.truncate(size)
        return p

    return make


def loop(tmp: Path) -> Path:
    (tmp / "a").symlink_to(tmp / "b")
    (tmp / "b").symlink_to(tmp / "a")
    return tmp / "a"


def tiny_files(tmp: Path) -> Path:
    folder = tmp / "tiny"
    folder.mkdir()
    for i in range(1000):
        (folder / f"{i:04}.txt").write_text(f"Note {i}\n\nThe bakery on street {i} opened early.")
    return folder


def truncated_gz(tmp: Path) -> Path:
    p = tmp / "cut.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"id": "g1", "text": "A record."}\n' * 50)[:40])
    return p


def gz_records(name: str, lines: Callable[[], Iterator[bytes]]) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        p = tmp / name
        with gzip.open(p, "wb", compresslevel=1) as fh:
            for line in lines():
                fh.write(line)
        return p

    return make


def one_huge_record() -> Iterator[bytes]:  # 12 MB of text in a ~12 kB .gz, then a good record
    yield b'{"id": "huge", "text": "' + b"a" * 12_000_000 + b'"}\n'
    yield b'{"id": "fine", "text": "A fine record."}\n'


def many_tiny_records() -> Iterator[bytes]:
    yield b'{"id": "t", "text": "x"}\n' * 100_001


def foreign_sqlite(tmp: Path) -> Path:
    folder = tmp / "theirs"
    folder.mkdir()
    con = sqlite3.connect(folder / "articles.sqlite")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    return folder


def unrelated(tmp: Path) -> Path:
    (tmp / "photos").mkdir()
    (tmp / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    return tmp / "photos"


def links_out(tmp: Path) -> Path:
    (tmp / "news").mkdir()
    (tmp / "news" / "story.txt").write_text("Story\n\nThe council met on Monday.")
    (tmp / "news" / "passwd.txt").symlink_to("/etc/passwd")
    return tmp / "news"


CASES: list[tuple[str, Case, str]] = [
    # questions
    ("empty question", ask(""), "error: the question is empty"),
    ("blank question", ask(" \t\n "), "error: the question is empty"),
    ("NUL bytes only", ask("\x00\x00\x00"), "error: the question is empty"),
    ("control characters inside", ask("Who guaranteed\x00 the security\x07 of Russian bases?"), "answered"),
    ("lone surrogate", ask("Who \ud800 fled?"), "error: the question holds characters that are not valid Unicode"),
    ("other script", ask("Кто гарантировал безопасность российских баз?"), "refused"),
    ("emoji only", ask("🙂🙂🙂"), "refused"),
    ("100,000 characters", ask("why " * 25_000), "error: the question is too long (100,000 characters; at most 2,000)"),
    ("malformed history", ask_with([["user"]]), "error: history turn 1 is not a [role, text] pair"),
    ("2,000-turn history", ask_with([["user", "why"]] * 2000), "error: the history has 2,000 turns; at most 100"),
    # files
    (
        "lone surrogate in JSONL",
        ingest(write("s.jsonl", '{"id": "x1", "text": "Bad \\ud800."}\n{"id": "x2", "text": "Good one."}\n')),
        "line 1: the text holds a lone surrogate (\\ud800), which is not valid Unicode | added 1",
    ),
    (
        "binary file as .txt",
        ingest(write("elf.txt", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)),
        "looks like a binary file, not text | added 0",
    ),
    (
        "latin-1 text",
        ingest(write("old.txt", "Caf\u00e9 au lait.".encode("latin-1"))),
        "not valid UTF-8 (byte 0xe9 at position 3): save it as UTF-8",
    ),
    (
        "50 MB text file",
        ingest(sparse("huge.txt", 50_000_000)),
        "the file is 50.0 MB, over the limit of 10 MB for one article (RAG_MAX_FILE_MB) | added 0",
    ),
    ("unsupported extension", ingest(write("report.docx", b"PK\x03\x04")), "unsupported file type .docx"),
    ("missing path", ingest(lambda tmp: tmp / "nowhere.txt"), "no such file or folder | added 0"),
    ("symlink loop", ingest(loop), "a broken or looping symbolic link | added 0"),
    ("link to /etc/passwd in a folder", ingest(links_out), "a symbolic link out of the folder: not followed | added 1"),
    ("empty file", ingest(write("empty.txt", "")), "the file is empty | added 0"),
    ("truncated gzip", ingest(truncated_gz), "cannot read:"),
    (
        "a 12 MB record in a small .gz",
        ingest(gz_records("huge.jsonl.gz", one_huge_record)),
        "line 1: the record is over 10 MB, the limit for one article (RAG_MAX_FILE_MB) | added 1",
    ),
    (
        "100,001 tiny records",
        ingest(gz_records("tiny.jsonl.gz", many_tiny_records)),
        "more than 100,000 records, over the limit for one file (RAG_MAX_RECORDS): split it | added 0",
    ),
    (
        "broken JSON line",
        ingest(write("b.jsonl", '{"id": "j1", "text": "Fine."}\n{oops\n')),
        "line 2: invalid JSON (Expecting property name enclosed in double quotes) | added 1",
    ),
    (
        "JSON without text",
        ingest(write("n.json", '[{"id": "n1", "title": "No body"}]')),
        "record 0: missing or empty 'text'",
    ),
    (
        "HTML with no article",
        ingest(write("nav.html", "<html><head><script>var x = 1;</script></head><body></body></html>")),
        "no article text found in the HTML | added 0",
    ),
    ("not really a PDF", ingest(write("fake.pdf", b"%PDF-1.4 garbage")), "unreadable PDF"),
    ("folder of 1,000 tiny files", ingest(tiny_files), "added 1000"),
    # stores
    ("--store on a file", open_store(write("file.txt", "x")), "is a file, not a folder: --store wants a folder"),
    ("unrelated non-empty folder", open_store(unrelated), "is not empty and holds no newsrag store"),
    ("someone else's articles.sqlite", open_store(foreign_sqlite), "is an SQLite file of another program"),
]
if os.geteuid() != 0:  # root reads anything

    def unreadable(tmp: Path) -> Path:
        p = write("secret.txt", "Secret text.")(tmp)
        p.chmod(0)
        return p

    CASES.append(("unreadable file", ingest(unreadable), "cannot read: [Errno 13] Permission denied"))


@pytest.mark.parametrize(("kind", "case", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_its_message_and_loses_nothing(
    kind: str, case: Case, expected: str, seed_engine: Engine, tmp_path: Path
) -> None:
    before = seed_engine.stats().articles
    got = case(seed_engine, tmp_path)
    assert expected in got, f"{kind}: {got}"
    assert "Traceback" not in got
    assert seed_engine.stats().articles >= before
    assert "Syrian insurgents" in seed_engine.ask(SEED_QUESTION).answer  # the earlier content answers
    assert seed_engine.check(deep=False).ok


def test_decompression_bombs_are_refused_fast_and_small_on_the_cli(tmp_path: Path) -> None:
    """Issue 19's two bombs through `rag ingest`: under 1 GB peak RSS, refused within 10 s.
    (Through the page: tests/test_faults.py, with another visitor asking meanwhile.)"""
    import subprocess
    import sys

    one = gzip.compress(b"a" * 1_000_000, 9)  # gzip members concatenate: 6.4 MB on disk
    big = tmp_path / "one-record.jsonl.gz"
    big.write_bytes(gzip.compress(b'{"id": "b", "text": "') + one * 6442 + gzip.compress(b'"}\n'))
    many = tmp_path / "tiny-records.jsonl.gz"
    many.write_bytes(gzip.compress(b'{"id": "t", "text": "x"}\n' * 5_000_000, 9))
    # The child's own peak, measured by a parent that runs only it.
    probe = (
        "import resource, subprocess, sys, time; t = time.monotonic(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "print(r.returncode, time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024); "
        "print(r.stdout + r.stderr)"
    )
    for bomb, reason in ((big, "MB of records (decompressed)"), (many, "more than 100,000 records")):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                probe,
                sys.executable,
                "-m",
                "rag.cli",
                "ingest",
                str(bomb),
                "--store",
                str(tmp_path / "store"),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        head, report = out.split("\n", 1)
        rc, seconds, rss = head.split()
        assert rc == "1" and reason in report and "0 articles" in report, out
        assert float(seconds) < 10 and int(rss) < 1e9, out
