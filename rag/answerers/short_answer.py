"""Single out a short answer phrase (who / when / where / how many) inside a chosen sentence.

Heuristic and conservative: it returns None unless a phrase of the expected kind, absent from
the question, stands in the sentence. The reader uses it as a feature ("holds a new phrase of
the kind asked for"); the short answer shown to users comes from `rag.answerers.spans`, which
falls back to these patterns where spaCy finds no entity."""

from __future__ import annotations

import re

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
