"""Small records the eval tests build themselves (no engine needed for metric unit tests)."""

from __future__ import annotations

from conftest import SEED_ANSWER, SEED_QUESTION
from rag import Answer, Citation, refusal_text
from rag.eval.records import EvalQuestion, Record, RetrievedChunk

ART_A = (
    "Syria's Bashar Assad has fled to Moscow after his ouster, Russian media said Sunday. "
    "RIA also said Syrian insurgents had guaranteed the security of Russian military bases. "
    "The war lasted nearly 14 years."
)
ART_B = "The storm made landfall near Fort Myers, Florida, on September 28, killing at least 100 people."
ARTICLES = {"a": ART_A, "b": ART_B}


def cite(n: int, article_id: str, quote: str) -> Citation:
    text = ARTICLES[article_id]
    start = text.index(quote)
    return Citation(
        n=n,
        article_id=article_id,
        title="",
        url="",
        date=None,
        path="",
        quote=quote,
        start=start,
        end=start + len(quote),
        score=0.5,
    )


def record(
    question: str = SEED_QUESTION,
    *,
    answers: tuple[str, ...] = (SEED_ANSWER,),
    answerable: bool = True,
    text: str | None = None,
    citations: list[Citation] | None = None,
    refused: bool = False,
    retrieved: list[tuple[str, str]] | None = None,
    latency_ms: float = 10.0,
    support: float = 0.5,
    gold_articles: tuple[str, ...] = ("a",),
    conflict: str | None = None,
    expect_conflict: bool = False,
    qid: str = "q",
) -> Record:
    """A record; by default a faithful extractive answer to the reference question."""
    if citations is None:
        citations = (
            []
            if refused
            else [
                cite(1, "a", "RIA also said Syrian insurgents had guaranteed the security of Russian military bases.")
            ]
        )
    if text is None:
        text = (
            refusal_text(question)
            if refused
            else f"{SEED_ANSWER}. " + " ".join(f"{c.quote} [{c.n}]" for c in citations)
        )
    ans = Answer(
        question=question, answer=text, refused=refused, citations=citations, support=support, conflict=conflict
    )
    q = EvalQuestion(
        id=qid,
        question=question,
        answers=list(answers),
        answerable=answerable,
        gold_articles=list(gold_articles),
        expect_conflict=expect_conflict,
    )
    return Record(
        question=q,
        answer=ans,
        latency_ms=latency_ms,
        retrieved=[RetrievedChunk(article_id=a, text=t) for a, t in (retrieved or [])],
        sources=dict(ARTICLES),
    )
