"""Every article dated: the date its file or record gives, else one written in its first
lines ("Dec. 8, 2024"), else, for a file, the file's modification time; `Article.dated_by`
says which, so the page can tell a publication date from a guess.

Only full dates count (day, month and year): "in 2019" or "last December" in a first line is
about something else more often than it is the article's own date."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from rag.models import Article

# How far into the text a date is looked for: the headline, the photo caption and the dateline
# come first in news copy. The seed article's date is in its second line, at character 105.
HEAD_CHARS = 600

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for name in names
}
_MONTH = r"(?P<m>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_PATTERNS = [
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),  # Dec. 8, 2024
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),  # 8 December 2024
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?!\d)"),  # 2024-12-08, also in 2024-12-08T10:00
]


def date_in_text(text: str, head: int = HEAD_CHARS) -> dt.date | None:
    """The first full, valid date in the first `head` characters of `text`, or None."""
    found: list[tuple[int, dt.date]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text[:head]):
            month = m["m"]
            try:
                day = dt.date(int(m["y"]), int(month) if month.isdigit() else _MONTHS[month.lower()], int(m["d"]))
            except ValueError:  # "Feb. 30, 2024"
                continue
            found.append((m.start(), day))
            break
    return min(found)[1] if found else None


def file_date(path: Path) -> dt.date | None:
    """The file's modification day, in local time (what a file manager shows)."""
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime).date()
    except (OSError, ValueError, OverflowError):
        return None


def dated(article: Article, path: Path | None = None) -> Article:
    """`article` with a date: kept when it has one; else from its text; else, when it came from
    the file `path` (not from a record inside a file), the file's time; else undated."""
    if article.date is not None:
        return article if article.dated_by else article.model_copy(update={"dated_by": "given"})
    if (day := date_in_text(article.text)) is not None:
        return article.model_copy(update={"date": day, "dated_by": "text"})
    if path is not None and (day := file_date(path)) is not None:
        return article.model_copy(update={"date": day, "dated_by": "file"})
    return article
