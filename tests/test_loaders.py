from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from conftest import SEEDS
from rag.models import Article, Failure
from rag.text.loaders import load_paths, load_records, parse_date


def split(items: list[Article | Failure]) -> tuple[list[Article], list[Failure]]:
    arts = [i for i in items if isinstance(i, Article)]
    fails = [i for i in items if isinstance(i, Failure)]
    return arts, fails


def test_txt_title_is_first_nonempty_line() -> None:
    arts, fails = split(list(load_paths([SEEDS])))
    assert not fails and len(arts) == 1
    a = arts[0]
    assert a.title == "Syria's Assad fled to Moscow after ouster, granted asylum by Russia"
    assert "Syrian insurgents" in a.text


def test_ids_are_stable_and_path_based(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("Title\n\nBody one.")
    first = next(iter(load_paths([f])))
    f.write_text("Title\n\nBody two, edited.")
    second = next(iter(load_paths([f])))
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.id == second.id  # an edited file replaces its earlier version


def test_markdown_title(tmp_path: Path) -> None:
    (tmp_path / "n.md").write_text("# Big news\n\nSomething happened today in Paris.")
    (a,) = list(load_paths([tmp_path]))
    assert isinstance(a, Article) and a.title == "Big news"


def test_html_via_trafilatura(tmp_path: Path) -> None:
    body = " ".join(["The mayor of Springfield opened the new bridge on Monday."] * 6)
    (tmp_path / "x.html").write_text(
        "<html><head><title>Bridge opens</title>"
        '<meta property="article:published_time" content="2022-06-01"></head>'
        f"<body><nav>Menu Home About</nav><article><h1>Bridge opens</h1><p>{body}</p>"
        "<p>Residents cheered as the first cars crossed the river.</p></article></body></html>"
    )
    (a,) = list(load_paths([tmp_path]))
    assert isinstance(a, Article), a
    assert "first cars crossed" in a.text and "Menu Home" not in a.text
    assert a.title == "Bridge opens"
    assert a.date == dt.date(2022, 6, 1)


def test_pdf(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "The council approved the budget on Tuesday.")
    fig.savefig(tmp_path / "doc.pdf")
    plt.close(fig)
    (a,) = list(load_paths([tmp_path / "doc.pdf"]))
    assert isinstance(a, Article), a
    assert "approved the budget" in a.text


def test_a_pdf_with_damaged_streams_says_so(tmp_path: Path) -> None:
    """Issue 19: a corrupt stream read as "no extractable text (scanned image?)"."""
    import re

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.text(0.1, 0.5, "The council approved the budget on Tuesday.")
    fig.savefig(tmp_path / "doc.pdf")
    plt.close(fig)
    raw = bytearray((tmp_path / "doc.pdf").read_bytes())
    for m in re.finditer(rb"(?<!end)stream\r?\n", bytes(raw)):  # each stream's first bytes, lengths kept
        for i in range(m.end() + 2, m.end() + 30):
            raw[i] ^= 0x5A
    (tmp_path / "doc.pdf").write_bytes(bytes(raw))
    (bad,) = list(load_paths([tmp_path / "doc.pdf"]))
    assert isinstance(bad, Failure), bad
    assert bad.reason.startswith("the PDF is damaged: its text can't be read (") and "scanned" not in bad.reason


def test_encrypted_pdfs(tmp_path: Path) -> None:
    """AES-256 with only an owner password opens (pypdf needs `cryptography`, declared for
    that); one that needs a password to open is refused with the reason, alone."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pypdf import PdfReader, PdfWriter

    fig = plt.figure()
    fig.text(0.1, 0.5, "The council approved the budget on Tuesday.")
    fig.savefig(tmp_path / "plain.pdf")
    plt.close(fig)
    for name, user_password in (("owner-only.pdf", ""), ("locked.pdf", "secret")):
        writer = PdfWriter(clone_from=PdfReader(tmp_path / "plain.pdf"))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
        writer.write(tmp_path / name)
    (tmp_path / "plain.pdf").unlink()
    by_name = {Path(x.path).name: x for x in load_paths([tmp_path])}
    assert isinstance(by_name["owner-only.pdf"], Article) and "approved the budget" in by_name["owner-only.pdf"].text
    locked = by_name["locked.pdf"]
    assert isinstance(locked, Failure) and locked.reason.startswith("the PDF is password-protected")


def test_jsonl_gz_and_json_records(tmp_path: Path) -> None:
    recs = [
        {"id": "abc", "title": "T1", "date": "2022-09-01", "source": "cnn.com", "url": "u", "text": "One. Two."},
        {"id": "def", "title": None, "date": None, "source": "x", "url": "", "text": "Three."},
    ]
    with gzip.open(tmp_path / "a.jsonl.gz", "wt") as fh:
        fh.write("\n".join(json.dumps(r) for r in recs))
    (tmp_path / "b.json").write_text(json.dumps([{"text": "Only text here."}]))
    arts, fails = split(list(load_paths([tmp_path])))
    assert not fails
    by_id = {a.id: a for a in arts}
    assert by_id["abc"].date == dt.date(2022, 9, 1) and by_id["abc"].source == "cnn.com"
    assert by_id["def"].title == "" and by_id["def"].date is None
    assert len(arts) == 3


def test_bad_input_fails_alone_with_reason(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"id": "ok", "text": "Fine."}\n{not json\n{"id": "empty", "text": ""}\n')
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    odd = tmp_path / "notes.xyz"
    odd.write_text("x")
    arts, fails = split(list(load_paths([tmp_path, odd, tmp_path / "missing.txt"])))
    assert [a.id for a in arts] == ["ok"]
    reasons = " | ".join(f.reason for f in fails)
    assert "line 2: invalid JSON" in reasons
    assert "line 3: missing or empty 'text'" in reasons
    assert "empty" in reasons and "PDF" in reasons
    assert "unsupported file type .xyz" in reasons
    assert "no such file or folder" in reasons


def test_links_out_of_a_folder_are_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root\n")
    news = tmp_path / "news"
    (news / "sub").mkdir(parents=True)
    (news / "story.txt").write_text("Story\n\nThe council met on Monday.")
    (news / "passwd.txt").symlink_to(secret)  # out of the folder
    (news / "sub" / "again.txt").symlink_to(news / "story.txt")  # inside it: followed
    (news / "escape").symlink_to(tmp_path, target_is_directory=True)  # a folder link out of it
    arts, fails = split(list(load_paths([news])))
    assert sorted(Path(a.path).name for a in arts) == ["again.txt", "story.txt"]
    assert all("root:x" not in a.text for a in arts)
    assert {Path(f.path).name for f in fails} >= {"passwd.txt"}
    assert all("symbolic link out of the folder" in f.reason for f in fails)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("2022-09-30", dt.date(2022, 9, 30)),
        ("2022-09-30T10:00:00Z", dt.date(2022, 9, 30)),
        ("D:20210102030405", dt.date(2021, 1, 2)),
        ("September 30, 2022", dt.date(2022, 9, 30)),
        ("nonsense", None),
        (None, None),
    ],
)
def test_parse_date(raw: object, want: dt.date | None) -> None:
    assert parse_date(raw) == want


def test_files_of_records_are_read_in_bounded_pieces(tmp_path: Path) -> None:
    import time
    import tracemalloc

    bomb = tmp_path / "bomb.jsonl.gz"  # 300 MB of one record, decompressed, in ~300 kB
    with gzip.open(bomb, "wb", compresslevel=1) as fh:
        fh.write(b'{"id": "b", "text": "')
        for _ in range(300):
            fh.write(b"a" * 1_000_000)
        fh.write(b'"}\n')
    t0 = time.perf_counter()
    tracemalloc.start()
    try:
        (fail,) = list(load_records(bomb, max_mb=10, max_records_mb=100))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(fail, Failure) and "more than 100 MB of records (decompressed)" in fail.reason
    assert time.perf_counter() - t0 < 10
    assert peak < 50e6  # a piece at a time (~10 MB), never the 300 MB line

    many = tmp_path / "many.jsonl"
    many.write_text('{"id": "t", "text": "x"}\n' * 50 + "\n")
    (fail,) = list(load_records(many, max_records=49))
    assert isinstance(fail, Failure) and "more than 49 records" in fail.reason  # refused whole
    assert len(list(load_records(many, max_records=50))) == 50
