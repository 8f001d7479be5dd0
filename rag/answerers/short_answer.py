"""Single out a short answer phrase (who / when / where / how many) inside a chosen sentence.

Heuristic and conservative: it returns None unless a phrase of the expected kind, absent from
the question, stands in the sentence; the full cited sentence is always shown after it. A
logistic model (`short_answer_model.json`, fitted with the reader) says how likely the phrase
is to be exactly right; the answer shows it only above `RagConfig.short_answer_min_conf`."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.answerers.logistic import load_logistic
from rag.text.analyzer import stopwords, terms

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTHS}(?:\s+\d{{4}})?|"
    rf"{_MONTHS}\s+\d{{4}}|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    r"(?:19|20)\d{2})\b"
)
_NUMBER = re.compile(
    r"(?:[$£€]\s?)?\b\d[\d,.]*(?:\s?(?:%|percent|million|billion|trillion|thousand|hundred))?"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    r"thousands?|millions?)\b",
    re.IGNORECASE,
)
# Runs of capitalised words, allowing inner connectors ("Bank of England", "al-Golani").
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|de|al|bin|van|von|the|and)?\s*(?:al-|el-)?[A-Z][\w'’.-]*)*")
_TOKEN = re.compile(r"[\w'’-]+")
_CALENDAR = re.compile(rf"{_MONTHS}|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day")
_DEMONYM = re.compile(r"(?:an|ese|ish|i)$")


def question_kind(question: str) -> str | None:
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (percentage|number|amount)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|date|day|month)\b|\bwhich (year|day|month)\b", q):
        return "date"
    if re.search(r"\bwho(m|se)?\b", q):
        return "name"
    if re.search(r"\bwhere\b|\bwhich (country|city|state|company|team|continent)\b", q):
        return "name"
    return None


def _candidates(kind: str, sentence: str) -> list[tuple[int, int]]:
    if kind == "number":
        return [m.span() for m in _NUMBER.finditer(sentence)]
    if kind == "date":
        return [m.span() for m in _DATE.finditer(sentence)]
    spans = []
    for m in _NAME.finditer(sentence):
        s, e = m.span()
        word = m.group()
        if word.lower() in stopwords() or _CALENDAR.fullmatch(word):
            continue  # "As", "The", "Dec", "Monday": capitalised, but not names
        if word.endswith(("'s", "’s")):  # a possessive modifies the answer, it isn't one
            continue
        # A lone nationality adjective takes its noun along: "Syrian insurgents".
        if " " not in word and _DEMONYM.search(word):
            rest = sentence[e:]
            follow = _TOKEN.match(rest.lstrip())
            if follow and follow.group().islower() and follow.group() not in stopwords():
                e = e + (len(rest) - len(rest.lstrip())) + follow.end()
        spans.append((s, e))
    return spans


def new_spans(question: str, sentence: str) -> list[tuple[int, int]]:
    """Spans of the kind the question asks for that the question doesn't already hold."""
    kind = question_kind(question)
    if kind is None:
        return []
    q_terms = set(terms(question))
    q_lower = question.lower()

    def new_to_question(span: tuple[int, int]) -> bool:
        text = sentence[span[0] : span[1]]
        if kind == "name":  # "Russian bases" can't answer a question about Russian bases
            return not set(terms(text)) & q_terms
        return text.lower().strip() not in q_lower

    return [span for span in _candidates(kind, sentence) if new_to_question(span)]


def extract(question: str, sentence: str) -> str | None:
    cands = new_spans(question, sentence)
    if not cands:
        return None
    # Nearest to where the question's words occur in the sentence.
    q_terms = set(terms(question))
    anchors = [m.start() for m in _TOKEN.finditer(sentence) if set(terms(m.group())) & q_terms]
    if not anchors:
        return sentence[cands[0][0] : cands[0][1]].strip(" ,.;:")

    def distance(span: tuple[int, int]) -> int:
        return min(min(abs(a - span[0]), abs(a - span[1])) for a in anchors)

    s, e = min(cands, key=distance)
    return sentence[s:e].strip(" ,.;:") or None


SHORT_MODEL_PATH = Path(__file__).with_name("short_answer_model.json")
SHORT_FEATURES: tuple[str, ...] = ("p_best", "p_margin", "kind_name", "kind_number", "kind_date", "spans", "agree")


def confidence_features(question: str, ranked: Sequence[tuple[str, float]]) -> np.ndarray | None:
    """One row of `SHORT_FEATURES` for the phrase of the best sentence (None: it has none).
    `ranked`: the best few sentences and their reader probabilities, best first."""
    if not ranked:
        return None
    phrase = extract(question, ranked[0][0])
    if phrase is None:
        return None
    kind = question_kind(question)
    p = [score for _, score in ranked]
    # Other strong sentences giving the same phrase: the sources agree on it.
    agree = sum(1 for text, _ in ranked[1:] if (extract(question, text) or "").lower() == phrase.lower())
    return np.array(
        [
            p[0],
            p[0] - (p[1] if len(p) > 1 else 0.0),
            kind == "name",
            kind == "number",
            kind == "date",
            math.log1p(len(new_spans(question, ranked[0][0]))),
            agree,
        ],
        dtype=np.float64,
    )


def confident_extract(question: str, ranked: Sequence[tuple[str, float]], min_conf: float) -> str | None:
    """The best sentence's short phrase when the model is at least `min_conf` sure it is right."""
    x = confidence_features(question, ranked)
    if x is None or load_logistic(SHORT_MODEL_PATH, SHORT_FEATURES).proba(x[None, :])[0] < min_conf:
        return None
    return extract(question, ranked[0][0])
