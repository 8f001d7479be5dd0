"""What the eval suite feeds its evaluators: a question with its gold data, and what the
engine did with it."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from rag import Answer, Filters


class EvalQuestion(BaseModel):
    """One question of an eval set. `answers` holds the gold answer and its aliases."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    answers: list[str] = Field(default_factory=list)
    answerable: bool = True
    gold_sentence: str | None = None
    gold_articles: list[str] = Field(default_factory=list)
    as_of: dt.date | None = None
    filters: Filters | None = None
    category: str = ""  # e.g. the RGB condition
    expect_conflict: bool = False


class RetrievedChunk(BaseModel):
    model_config = ConfigDict(frozen=True)

    article_id: str
    text: str


class Record(BaseModel):
    """One question run through the engine: the answer, the top chunks, the cited articles."""

    question: EvalQuestion
    answer: Answer
    retrieved: list[RetrievedChunk] = Field(default_factory=list)
    # the candidate sentences in the order the reader ranked them (empty: not a ranking answerer)
    ranked: list[str] = Field(default_factory=list)
    latency_ms: float = 0.0
    # article id -> full text, for every cited article (provenance checks need it)
    sources: dict[str, str] = Field(default_factory=dict, exclude=True)
