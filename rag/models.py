"""The data types every part of the project shares: articles, chunks, answers, reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# Where an article's date came from: its record or the caller ("given"), the page's or PDF's
# metadata, the date in its web address ("url"), a date in its title or caption lines ("text"),
# the file's modification time ("file"); "" when it is undated. (rag.text.dating)
DatedBy = Literal["", "given", "metadata", "url", "text", "file"]
_GUESSED = {"text": "dated from the text", "file": "dated by the file's time"}


def dating_note(dated_by: str) -> str:
    """What to say beside a date that is not the article's own ("" for a given date)."""
    return _GUESSED.get(dated_by, "")


class Article(BaseModel):
    """One news article as loaded from a file; `text` is what offsets point into. `dated_by`
    is "" exactly when `date` is None once loaded (rag.text.dating.dated). `story` is the id of
    the story it belongs to once stored (rag.text.stories), "" when it is a story of its own."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str = ""
    date: dt.date | None = None
    dated_by: DatedBy = ""
    source: str = ""
    url: str = ""
    path: str = ""
    text: str
    story: str = ""

    @property
    def story_id(self) -> str:
        return self.story or self.id


class Chunk(BaseModel):
    """A run of whole sentences of one article; `text == article.text[start:end]`."""

    model_config = ConfigDict(frozen=True)

    id: str
    article_id: str
    start: int
    end: int
    text: str


class Citation(BaseModel):
    """A verbatim quote from an article: `quote == article_text[start:end]` always holds."""

    model_config = ConfigDict(frozen=True)

    n: int
    article_id: str
    title: str
    url: str
    date: dt.date | None
    path: str
    quote: str
    start: int
    end: int
    score: float
    dated_by: DatedBy = ""
    story: str = ""  # the cited article's story id (Article.story_id)
    also_in: int = 0  # other stored articles of that story (filled by Engine.ask)

    @classmethod
    def quoting(cls, n: int, article: Article, start: int, end: int, score: float) -> Citation:
        """Citation `n` of `article.text[start:end]`: the invariant holds by construction."""
        return cls(
            n=n,
            article_id=article.id,
            title=article.title,
            url=article.url,
            date=article.date,
            dated_by=article.dated_by,
            story=article.story_id,
            path=article.path,
            quote=article.text[start:end],
            start=start,
            end=end,
            score=round(score, 4),
        )


# The one refusal text. It carries no facts: the condenser recognises a refused turn by this
# start and borrows nothing from it.
REFUSAL_START = "The articles don't say"


def refusal_text(question: str) -> str:
    """What a refused `Answer` says."""
    return f"{REFUSAL_START}. Nothing in them answers \u201c{shorten(question.strip())}\u201d well enough to quote."


# A citation marker in `Answer.answer`: "[n]" not after a backslash. An article's own "[1]" is
# written "\[1]" in an answer, so that no quoted text can pass for a citation and link elsewhere.
CITATION_MARKER = re.compile(r"(?<!\\)\[(\d+)\]")


def escape_markers(text: str) -> str:
    """Article text as an answer quotes it: its bracketed numbers marked as text."""
    return re.sub(r"\[(\d+)\]", r"\\[\1]", text)


def unescape_markers(text: str) -> str:
    """What a reader is shown: the article's brackets as the article wrote them."""
    return re.sub(r"\\\[(\d+)\]", r"[\1]", text)


def shorten(text: str, limit: int = 200) -> str:
    """A long question is echoed by its start only."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


class ShortAnswerSpan(BaseModel):
    """Where the short answer stands: `citations[citation - 1].quote[start:end] == short_answer`."""

    model_config = ConfigDict(frozen=True)

    citation: int
    start: int
    end: int


class Answer(BaseModel):
    """What `Engine.ask` returns to the page, the API, the CLI and the eval suite."""

    model_config = ConfigDict(frozen=True)

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = Field(default_factory=list)
    short_answer: str | None = None
    short_answer_span: ShortAnswerSpan | None = None  # the short answer inside its proving quote
    support: float = 0.0  # score of the best sentence found; refused when under the threshold
    query: str = ""  # the standalone query actually used (differs with chat history)
    conflict: str | None = None  # notice when cited articles disagree on the answer (rag.answerers.conflicts)
    backend: str = "extractive"  # which answerer wrote it (RagConfig.backend)
    # Generated sentences dropped (or, when kept, marked) because their citations don't support them
    removed: list[str] = Field(default_factory=list)
    # What the answerer says about its own answer (sentences removed, a fallback): it is part of
    # `answer` but says nothing about the articles, so the eval leaves it out, like `conflict`.
    notice: str | None = None
    generated: str | None = None  # the model's raw text, before verification (generating backends)
    generated_sentences: int = 0  # sentences in `generated` (a refusal counts none): raw faithfulness
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def to_json_dict(self) -> dict[str, object]:
        """The `rag ask --json` object (README, "Command line")."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "short_answer": self.short_answer,
            "short_answer_span": self.short_answer_span.model_dump() if self.short_answer_span else None,
            "support": round(self.support, 4),
            "query": self.query,
            "conflict": self.conflict,
            "backend": self.backend,
            "removed": self.removed,
            "notice": self.notice,
            "generated": self.generated,
            "citations": [c.model_dump(mode="json") for c in self.citations],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


class Failure(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    reason: str


class IngestReport(BaseModel):
    """Summary of one ingest run."""

    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    failed: list[Failure] = Field(default_factory=list)
    chunks_embedded: int = 0
    seconds: float = 0.0
    requests: int = 0  # HTTP requests made for pages and feeds

    def summary(self) -> str:
        line = (
            f"added {len(self.added)}, updated {len(self.updated)}, "
            f"unchanged {len(self.unchanged)}, failed {len(self.failed)}; "
            f"embedded {self.chunks_embedded} chunks in {self.seconds:.1f}s"
            + (f"; {self.requests} web request{'s' * (self.requests != 1)}" if self.requests else "")
        )
        reasons = "".join(f"\n  failed: {f.path}: {f.reason}" for f in self.failed)
        return line + reasons


class Stats(BaseModel):
    articles: int
    chunks: int
    first_date: dt.date | None
    last_date: dt.date | None
    sources: dict[str, int]
    stories: int = 0  # articles with nearly the same text count once (rag.text.stories)


class Filters(BaseModel):
    """Restrict retrieval to a date range and/or to some sources (e.g. "cnn.com")."""

    model_config = ConfigDict(frozen=True)

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sources: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self.date_from is None and self.date_to is None and not self.sources

    def date_bounds(self) -> tuple[int | None, int | None]:
        """Bounds as YYYYMMDD integers (undated articles are 0, so a lower bound drops them)."""
        lo = date_int(self.date_from) if self.date_from else None
        hi = date_int(self.date_to) if self.date_to else None
        return lo, hi

    def capped(self, as_of: dt.date | None) -> Filters:
        """Never look past `as_of`: it caps the upper date bound."""
        if as_of is None or (self.date_to is not None and self.date_to <= as_of):
            return self
        return self.model_copy(update={"date_to": as_of})


def date_int(d: dt.date | None) -> int:
    """A date as the YYYYMMDD integer the store filters on (Chroma metadata, SQLite, the keyword
    index); 0 means undated."""
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def parse_day(value: str | float | dt.date | None) -> dt.date | None:
    """A day as the command line, the page and `Engine.ask(as_of=...)` take it: YYYY-MM-DD (a
    longer ISO timestamp counts by its date), a date, or a Unix timestamp (what a date picker
    may send); None or blank is no date. A ValueError says what it wants."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC).date()
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"wants a date as YYYY-MM-DD, not {value!r}") from None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """What the stores keep of one article version: the article, its digest (`article_digest`:
    text and metadata, so a corrected title is an update too) and its chunks, spans of
    `article.text` in order whose ids are `chunk_id`s of this article. The one shape in which
    the ingest, the SQLite store, the server's article collection and the replicas hand articles
    to each other."""

    article: Article
    digest: str
    chunks: tuple[Chunk, ...]


def chunk_id(article_id: str, start: int, end: int) -> str:
    """The store's id of the chunk `article.text[start:end]`: one formula for the splitter, the
    stores and every `Passage`."""
    return hashlib.sha1(f"{article_id}:{start}:{end}".encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved chunk with its score from one retriever (or the fusion). A plain dataclass:
    the retrievers make hundreds per question, and as a pydantic model building them was 8% of
    a loaded server's time."""

    chunk_id: str
    article_id: str
    score: float


class Passage(BaseModel):
    """A retrieved chunk with its article: `text == article.text[start:end]`; rank 0 is best."""

    model_config = ConfigDict(frozen=True)

    article: Article
    start: int
    end: int
    rank: int
    score: float  # fused retrieval score (higher is better)

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]

    @property
    def chunk_id(self) -> str:
        """The id of the stored chunk this passage is (what the indexes returned)."""
        return chunk_id(self.article.id, self.start, self.end)


SentenceKey = tuple[str, int, int]  # a sentence: (article id, start, end) in its article's text
SentenceLookup = Callable[[Collection[SentenceKey]], Mapping[SentenceKey, np.ndarray]]
Entities = list[tuple[int, int, str]]  # a sentence's named entities: (start, end, label) in its text
EntityLookup = Callable[[Collection[SentenceKey]], Mapping[SentenceKey, Entities]]


@dataclass(frozen=True)
class Retrieval:
    """What `Engine.retrieve` found for one question: everything an answerer reads.

    `query` is the standalone query (the question condensed with the chat history);
    `idf` weighs a term by how rare it is in the whole store."""

    question: str
    query: str
    query_vector: np.ndarray
    passages: list[Passage]
    idf: Callable[[str], float]
    as_of: dt.date | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    # the vectors stored at ingest of the sentences asked for, those it has (Store.sentence_vectors)
    sentence_vectors: SentenceLookup | None = None
    # and their named entities, those it has (Store.sentence_entities)
    sentence_entities: EntityLookup | None = None
