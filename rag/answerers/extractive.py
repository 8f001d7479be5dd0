"""The default, extractive answerer: pick the sentences of the retrieved chunks that best
answer the question, cite them verbatim, or refuse when none supports an answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from collections.abc import Callable, Iterator

from ..config import RagConfig
from ..conflicts import find_conflict
from ..embedder import Embedder
from ..keyword_index import terms
from ..models import Answer, Article, Citation, Passage, Retrieval
from ..short_answer import extract, question_kind
from ..splitter import sentence_spans
from .base import refusal

# Words a quiz question uses that say nothing about the answer.
_FILLER = frozenset(terms("this week recently reportedly news announced according report reports"))
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Candidate:
    article: Article
    start: int
    end: int
    rank: int  # rank of the chunk it came from
    lexical: float = 0.0
    dense: float = 0.0
    typed: float = 1.0  # < 1 when the question wants a name/number/date the sentence lacks

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]

    @property
    def score(self) -> float:
        # Support: how much of the question the sentence covers, by meaning and by words.
        return (0.5 * self.dense + 0.5 * self.lexical) * self.typed


def lexical_coverage(q_terms: list[str], sentence: str, idf: Callable[[str], float]) -> float:
    """IDF-weighted share of the question's terms found in the sentence."""
    if not q_terms:
        return 0.0
    s_terms = set(terms(sentence))
    weights = {t: idf(t) for t in set(q_terms)}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in s_terms) / total if total else 0.0


def candidate_sentences(question: str, passages: list[Passage],
                        idf: Callable[[str], float]) -> list[Candidate]:
    """Every quotable sentence of the passages, once, with its lexical coverage."""
    q_terms = [t for t in terms(question) if t not in _FILLER] or terms(question)
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for p in passages:
        art, rank = p.article, p.rank
        for s, e in sentence_spans(p.text, offset=p.start):
            if (art.id, s) in seen or len(_WORD.findall(art.text[s:e])) < 4 or _is_question(art.text[s:e]):
                continue
            seen.add((art.id, s))
            out.append(Candidate(art, s, e, rank, lexical_coverage(q_terms, art.text[s:e], idf)))
    return out


class ExtractiveAnswerer:
    """Quote the best sentences verbatim; refuse when none supports an answer."""

    name = "extractive"

    def __init__(self, embedder: Embedder, config: RagConfig, untyped_penalty: float = 0.8) -> None:
        self.embedder = embedder
        self.cfg = config
        self.rerank = config.answer_rerank
        # A "who/when/how many" question is rarely answered by a sentence holding no name,
        # date or number that the question doesn't already give (measured with `rag eval`).
        self.untyped_penalty = untyped_penalty

    def answer(self, retrieval: Retrieval) -> Answer:
        ranked = self.rank(retrieval)
        chosen = self.choose(ranked)
        support = ranked[0].score if ranked else 0.0
        if not chosen:
            return refusal(retrieval, self.name, support=support)
        conflict = find_conflict(ranked)
        if conflict:  # cite both sides of the disagreement
            chosen = conflict.cited(chosen)
        text, short, citations = self.compose(retrieval.question, chosen)
        notice = conflict.notice(citations) if conflict else None
        return Answer(question=retrieval.question, answer=f"{text} {notice}" if notice else text,
                      refused=False, citations=citations, short_answer=short, support=support,
                      query=retrieval.query, conflict=notice, backend=self.name)

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        ans = self.answer(retrieval)  # nothing is shown before the whole quote is chosen
        yield ans.answer
        yield ans

    def rank(self, retrieval: Retrieval) -> list[Candidate]:
        """The candidate sentences of the retrieved passages, best first."""
        cands = candidate_sentences(retrieval.query, retrieval.passages, retrieval.idf)
        return self.score(retrieval.query, retrieval.query_vector, cands)

    def score(self, question: str, q_vec: np.ndarray, cands: list[Candidate]) -> list[Candidate]:
        cands = sorted(cands, key=lambda c: (-c.lexical, c.rank))[: self.rerank]
        if not cands:
            return []
        vecs = self.embedder.embed([c.text for c in cands])
        dense = vecs @ q_vec
        typed = question_kind(question) is not None
        scored = [
            Candidate(c.article, c.start, c.end, c.rank, c.lexical, float(d),
                      self.untyped_penalty if typed and extract(question, c.text) is None else 1.0)
            for c, d in zip(cands, dense, strict=True)
        ]
        return sorted(scored, key=lambda c: -c.score)

    def choose(self, ranked: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus runners-up that are nearly as good and say something new."""
        if not ranked or ranked[0].score < self.cfg.refusal_threshold:
            return []
        chosen = [ranked[0]]
        for c in ranked[1:]:
            if len(chosen) >= self.cfg.max_answer_sentences:
                break
            if c.score >= 0.9 * ranked[0].score and not any(_same(c.text, o.text) for o in chosen):
                chosen.append(c)
        return chosen

    def compose(self, question: str, chosen: list[Candidate]) -> tuple[str, str | None, list[Citation]]:
        citations = [
            Citation(
                n=i, article_id=c.article.id, title=c.article.title, url=c.article.url,
                date=c.article.date, path=c.article.path, quote=c.text, start=c.start,
                end=c.end, score=round(c.score, 4),
            )
            for i, c in enumerate(chosen, 1)
        ]
        short = extract(question, chosen[0].text)
        body = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        return (f"{short}. {body}" if short else body), short, citations


def _is_question(sentence: str) -> bool:
    """A sentence asking something (an FAQ heading, a teaser) never answers."""
    return sentence.rstrip(" \u201d\"'.)\u2026").endswith("?")


def _same(a: str, b: str) -> bool:
    """Near-duplicate sentences (the same wire story in two papers) add nothing."""
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) > 0.8
