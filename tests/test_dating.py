"""Every article dated (rag.text.dating): its own date kept, else one from its first lines,
else the file's time; `dated_by` says which. Issue 21: the seed article was "undated"."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from conftest import SEEDS
from rag import Article, dating_note, load_paths
from rag.text.dating import HEAD_CHARS, date_in_text, dated


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


def test_only_the_head_of_the_text_counts() -> None:
    assert date_in_text("x" * HEAD_CHARS + " Dec. 8, 2024") is None


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
