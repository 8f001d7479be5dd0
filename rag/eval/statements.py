"""Split an answer into statements, each with the citations it rests on, and judge them.

Citation markers `[n]` close a segment; every sentence of the segment rests on those markers
(so the short answer in front of "quote [1]" rests on [1], as the engine took it from there).
The engine's conflict notice is left out (the conflict evaluator checks it), and so is the
answerer's notice about its own answer ("2 generated sentences were removed ...")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag import Citation
from rag.answerers import Evidence, SupportJudge, Verdict
from rag.text import sentence_spans

from .records import Record

_MARKERS = re.compile(r"(?:\s*\[\d+\])+")


@dataclass(frozen=True)
class Statement:
    text: str
    cites: tuple[int, ...]


def statements(answer_text: str, conflict: str | None = None, notice: str | None = None) -> list[Statement]:
    for aside in (conflict, notice):
        if aside:
            answer_text = answer_text.replace(aside, " ")
    out: list[Statement] = []
    pos = 0
    segments: list[tuple[str, tuple[int, ...]]] = []
    for m in _MARKERS.finditer(answer_text):
        segments.append((answer_text[pos : m.start()], tuple(int(n) for n in re.findall(r"\d+", m.group()))))
        pos = m.end()
    segments.append((answer_text[pos:], ()))
    for seg, cites in segments:
        for s, e in sentence_spans(seg):
            if re.search(r"\w", seg[s:e]):
                out.append(Statement(seg[s:e], cites))
    return out


def passages(record: Record, cites: tuple[int, ...]) -> list[Evidence]:
    by_n: dict[int, Citation] = {c.n: c for c in record.answer.citations}
    return [
        Evidence.from_citation(c.quote, c.start, c.end, record.sources.get(c.article_id))
        for c in (by_n.get(n) for n in cites)
        if c is not None
    ]


def judged(record: Record, judge: SupportJudge) -> list[tuple[Statement, Verdict]]:
    """Every statement of a (non-refused) answer with the judge's verdict on its citations."""
    return [
        (st, judge.judge(st.text, passages(record, st.cites)))
        for st in statements(record.answer.answer, record.answer.conflict, record.answer.notice)
    ]
