"""Every article dated (rag.text.dating): its own date kept, else one from its first lines,
else the file's time; `dated_by` says which. Issue 21: the seed article was "undated"."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from conftest import SEEDS
from rag import Article, dating_note, load_paths
from rag.text.dating import date_in_text, date_in_url, dated


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("in Damascus, Syria, Dec. 8, 2024. (AFP Photo)", dt.date(2024, 12, 8)),
        ("WASHINGTON, September 3rd 2023 — The Senate", dt.date(2023, 9, 3)),
        ("Published 14 February 2022, updated", dt.date(2022, 2, 14)),
        ("Posted 2024-01-05T10:00", dt.date(2024, 1, 5)),
        ("Sept. 30, 2022 and Oct. 1, 2022", dt.date(2022, 9, 30)),  # the first one
        ("Feb. 30, 2024 is no day; March 1, 2024 is", dt.date(2024, 3, 1)),
        ("The 2019 election, last December", None),  # no full date
        ("May 2024 was warm", None),
    ],
)
def test_dates_written_in_the_first_lines(text: str, want: dt.date | None) -> None:
    assert date_in_text(text) == want


def test_only_the_title_and_caption_lines_count() -> None:
    """Dates in the body are of events ("Parks was arrested Dec. 1, 1955"): on the benchmark's
    bodies the first one in 600 characters was the article's own day 5% of the time."""
    para = "Parks was arrested Dec. 1, 1955, for refusing to give up her seat on a bus to a white man. " * 3
    assert date_in_text(f"Title\n\n{para}") is None  # line 2 is a paragraph (200+ characters), not a caption
    assert date_in_text("Title\nA caption\nDec. 8, 2024") is None  # line 3
    assert date_in_text("Title\n\n\nBy Ana Ferreira, Dec. 8, 2024") == dt.date(2024, 12, 8)


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("https://www.usatoday.com/story/news/2012/09/10/funeral/1412335/", dt.date(2012, 9, 10)),
        ("https://edition.cnn.com/2024/12/08/world/syria-assad/index.html", dt.date(2024, 12, 8)),
        ("https://example.org/news/2023-05-17/harbour", dt.date(2023, 5, 17)),
        ("https://example.org/2023/13/40/bad", None),
        ("https://example.org/story?id=2023/05/17", None),  # the query is not the path
        ("https://example.org/about", None),
    ],
)
def test_dates_in_web_addresses(url: str, want: dt.date | None) -> None:
    assert date_in_url(url) == want
    if want:
        art = dated(Article(id="x", url=url, text="Dec. 9, 2024: text."))
        assert (art.date, art.dated_by) == (want, "url")  # before the text's


def test_the_seed_article_is_dated_from_its_text() -> None:
    (art,) = [a for a in load_paths([SEEDS]) if isinstance(a, Article)]
    assert (art.date, art.dated_by) == (dt.date(2024, 12, 8), "text")
    assert dating_note(art.dated_by) == "dated from the text"


def test_a_given_date_is_kept_and_a_file_without_one_takes_its_time(tmp_path: Path) -> None:
    given = Article(id="g", text="Dec. 8, 2024: news.", date=dt.date(2020, 1, 1))
    assert (dated(given).date, dated(given).dated_by) == (dt.date(2020, 1, 1), "given")
    note = tmp_path / "note.txt"
    note.write_text("Harbour news\n\nThe harbour of Vigo reopened on Tuesday.")
    os.utime(note, (0, dt.datetime(2023, 5, 17, 12).timestamp()))
    (art,) = list(load_paths([note]))
    assert isinstance(art, Article) and (art.date, art.dated_by) == (dt.date(2023, 5, 17), "file")
    assert dating_note("file") == "dated by the file's time" and dating_note("given") == ""
    # A record inside a file is not dated by the file: its time says nothing of the record.
    recs = tmp_path / "r.jsonl"
    recs.write_text('{"id": "r", "text": "No date here."}\n')
    (rec,) = list(load_paths([recs]))
    assert isinstance(rec, Article) and (rec.date, rec.dated_by) == (None, "")
