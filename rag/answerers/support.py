"""The support judge: is a claim supported by the sentences it cites?

It lives in the library because the generative answerer checks every generated sentence with
it before showing it; the eval suite (rag/eval/metrics/) scores answers with the very same judge.

No NLI model ships offline, so the judge is rule-based and documented:
1. Provenance first: a cited passage counts only if its quote is verbatim in the cited article
   at `start:end` (a citation to the wrong article, or an edited quote, supports nothing).
2. Extractive claims: the claim (whitespace-normalised) occurs verbatim in a cited quote.
3. Generated claims: every number, date and named entity of the claim occurs in the cited
   text; the claim and its best-matching cited sentence agree on negation; and at least
   `min_coverage` of the claim's content words (stemmed) occur in the cited text.
Its precision and recall are measured on a labelled claim set (`rag/eval/judge_claims.jsonl`,
`python -m rag.eval.judge_check`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from rag.text.analyzer import stopwords, terms
from rag.text.splitter import sentence_spans

_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
    "billion": "1000000000",
    "dozen": "12",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
}
_MONTHS = {
    m[:3]: m
    for m in [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
}
_WORD = re.compile(r"[\w'’]+")
_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|"
    r"den(?:y|ied|ies)|refused?|fail(?:ed|s)?)\b|n[’']t\b",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Evidence:
    """A cited text (a sentence, a quote). `verified` is False when the quote isn't the article's text at start:end."""

    text: str
    verified: bool = True

    @classmethod
    def from_citation(cls, quote: str, start: int, end: int, article_text: str | None) -> Evidence:
        return cls(quote, article_text is not None and article_text[start:end] == quote)


class Verdict(BaseModel):
    supported: bool
    mode: Literal["verbatim", "content", "none"] = "none"
    reason: str = ""
    missing: list[str] = Field(default_factory=list)
    coverage: float = 0.0


def _canon(word: str) -> str:
    """Numbers as digits, months by their name, everything else lower-cased."""
    w = word.lower().replace("’", "'").removesuffix("'s")
    if w in _NUMBER_WORDS:
        return _NUMBER_WORDS[w]
    if _NUM.fullmatch(w):
        return w.replace(",", "")
    if w[:3] in _MONTHS and (w in _MONTHS.values() or len(w) <= 4):
        return _MONTHS[w[:3]]
    return w


def anchors(claim: str) -> list[str]:
    """The claim's numbers, dates and named entities, one word each, canonical form."""
    out: list[str] = []
    words = list(_WORD.finditer(claim))
    stop = stopwords()
    for i, m in enumerate(words):
        w = m.group()
        if any(ch.isdigit() for ch in w) or w.lower() in _NUMBER_WORDS:
            out.append(_canon(w))
        elif w[0].isupper():
            opener = i == 0 or claim[: m.start()].rstrip().endswith((".", "!", "?", ":", "\u201c", '"'))
            if not (opener and w.lower() in stop):  # "The", "He" open sentences; they aren't names
                out.append(_canon(w))
    # digits inside hyphenated words ("14-year") and plain numbers too
    out += [n.replace(",", "") for n in _NUM.findall(claim) if n.replace(",", "") not in out]
    return list(dict.fromkeys(out))


def _vocab(text: str) -> set[str]:
    words = {_canon(w) for w in _WORD.findall(text)}
    return words | {n.replace(",", "") for n in _NUM.findall(text)}


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\u201c", '"').replace("\u201d", '"').replace("’", "'")).strip(" .;:,\"'")


class SupportJudge:
    def __init__(self, min_coverage: float = 0.75) -> None:
        self.min_coverage = min_coverage

    def judge(self, claim: str, passages: Sequence[Evidence]) -> Verdict:
        usable = [p for p in passages if p.verified]
        if not usable:
            return Verdict(supported=False, reason="no citation whose quote is verbatim in its article")
        text = " ".join(p.text for p in usable)
        if _clean(claim) and _clean(claim) in _clean(text):
            return Verdict(supported=True, mode="verbatim", coverage=1.0)
        vocab = _vocab(text)
        missing = [a for a in anchors(claim) if a not in vocab]
        c_terms = set(terms(claim))
        t_terms = set(terms(text))
        coverage = len(c_terms & t_terms) / len(c_terms) if c_terms else 0.0
        if missing:
            return Verdict(
                supported=False, reason="names/numbers/dates not in the cited text", missing=missing, coverage=coverage
            )
        best = max(
            (text[s:e] for s, e in sentence_spans(text)), key=lambda s: len(c_terms & set(terms(s))), default=text
        )
        if bool(_NEGATION.search(claim)) != bool(_NEGATION.search(best)):
            return Verdict(supported=False, reason="negation differs from the cited sentence", coverage=coverage)
        if coverage < self.min_coverage:
            return Verdict(supported=False, reason=f"content-word coverage {coverage:.2f}", coverage=coverage)
        return Verdict(supported=True, mode="content", coverage=coverage)
