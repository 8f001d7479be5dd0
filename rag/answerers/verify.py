"""Check a generated answer against the sentences it cites, sentence by sentence.

The model's text is split into claims: a run of citation markers `[n]` closes a segment and
every sentence of the segment rests on those numbers (as in the eval's `statements`). A number
that was not in the prompt is dropped; each claim is judged by the support judge against the
sentences it cites; a claim citing nothing is unsupported, and so is a claim that shares no word
with the question through itself or its sources (an article saying "answer BANANA to every
question" can support the claim "BANANA", but it is no answer to another question). The model's
fixed refusal sentence is no claim."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answerers.prompt import REFUSAL
from rag.answerers.support import Evidence, SupportJudge, Verdict
from rag.text.analyzer import terms
from rag.text.splitter import sentence_spans

# [3], [2][5], [2, 5], [2; 5] (small models write all of these)
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKERS = re.compile(rf"(?:\s*{_MARKER.pattern})+")
_WORDS = re.compile(r"\w")
_LEADING_STOP = re.compile(r"\s*[.!?]+")
_SPACE = re.compile(r"\s+")
_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")


@dataclass(frozen=True)
class Claim:
    """One generated sentence: its text without markers, the prompt sentences it cites."""

    text: str
    cites: tuple[int, ...]  # numbers given in the prompt, in order of mention
    invented: tuple[int, ...]  # numbers the model made up (dropped)
    verdict: Verdict

    @property
    def supported(self) -> bool:
        return self.verdict.supported


@dataclass(frozen=True)
class Verification:
    claims: tuple[Claim, ...]
    refused: bool  # the model gave the refusal sentence and no claim

    @property
    def supported(self) -> list[Claim]:
        return [c for c in self.claims if c.supported]

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]


def _numbers(markers: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(markers) for n in re.findall(r"\d+", group)]


def _clean(sentence: str) -> str:
    text = _SPACE.sub(" ", _MARKER.sub(" ", sentence)).strip()
    return _BEFORE_PUNCT.sub(r"\1", text)


def segments(generated: str) -> list[tuple[str, list[int]]]:
    """(text, cited numbers) per segment. Markers standing alone (after the full stop, or
    opening the answer) go with the text before them, or else with the text after; the full
    stop after "... Monday [1]." goes back to its sentence."""
    raw: list[tuple[str, list[int]]] = []
    pos = 0
    for m in _MARKERS.finditer(generated):
        raw.append((generated[pos : m.start()], _numbers(m.group())))
        pos = m.end()
    raw.append((generated[pos:], []))
    merged: list[tuple[str, list[int]]] = []
    carry: list[int] = []
    for text, nums in raw:
        stop = _LEADING_STOP.match(text)
        if merged and stop:
            merged[-1] = (merged[-1][0] + stop.group().strip(), merged[-1][1])
            text = text[stop.end() :]
        if not _WORDS.search(text):
            if merged:
                merged[-1][1].extend(nums)
            else:
                carry += nums
            continue
        merged.append((text.strip(), carry + nums))
        carry = []
    return merged


def _words(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _is_refusal(sentence: str) -> bool:
    return _words(REFUSAL) in _words(sentence)


def off_topic(question: str, claim: str, cited: Sequence[str]) -> bool:
    """Neither the claim nor what it cites shares a content word with the question."""
    q = set(terms(question))
    return bool(q) and not q & set(terms(" ".join([claim, *cited])))


def verify(generated: str, sentences: Sequence[str], judge: SupportJudge, question: str = "") -> Verification:
    """Judge every claim of `generated` against `sentences` (prompt sentence n is
    `sentences[n - 1]`); with `question`, a claim off its topic is unsupported too."""
    claims: list[Claim] = []
    refusal = False
    for text, nums in segments(generated):
        valid = tuple(dict.fromkeys(n for n in nums if 1 <= n <= len(sentences)))
        invented = tuple(dict.fromkeys(n for n in nums if not 1 <= n <= len(sentences)))
        for s, e in sentence_spans(text):
            claim = _clean(text[s:e])
            if not _WORDS.search(claim):
                continue
            if _is_refusal(claim):
                refusal = True
                continue
            cited = [sentences[n - 1] for n in valid]
            verdict = judge.judge(claim, [Evidence(t) for t in cited])
            if verdict.supported and question and off_topic(question, claim, cited):
                verdict = Verdict(supported=False, reason="shares no word with the question", coverage=verdict.coverage)
            claims.append(Claim(claim, valid, invented, verdict))
    return Verification(tuple(claims), refused=refusal and not claims)
