"""The default, extractive answerer: the learned reader scores every sentence of the retrieved
passages; the most likely ones are quoted verbatim with citations, or it refuses when even the
best is unlikely to hold the answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answerers.base import refusal
from rag.answerers.conflicts import find_conflict
from rag.answerers.reader import SentenceVectors, coverage, features, load_model, pool, similarities
from rag.answerers.spans import ShortAnswer, best_span, candidate_spans, missing_kind
from rag.config import RagConfig
from rag.embed.embedder import Embedder
from rag.models import Answer, Article, Citation, EntityLookup, Retrieval, ShortAnswerSpan, escape_markers
from rag.text.entities import load_ner

if TYPE_CHECKING:
    from rag.answerers.logistic import LogisticModel

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Candidate:
    """A scored sentence: `article.text[start:end]`, `score` the reader's probability."""

    article: Article
    start: int
    end: int
    rank: int  # rank of the passage it came from
    score: float = 0.0
    coverage: float = 0.0  # how much of the question it covers (rag.answerers.reader.coverage)

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]


class Ranking(list[Candidate]):
    """Every candidate sentence, most likely to answer first, with what `rank` found on the way in
    the reader's `top` sentences (`ExtractiveAnswerer.read_spans`, once per question: `rank` leads
    with the span's sentence, `answer` shows it or refuses for the `missing` kind)."""

    def __init__(
        self, ranked: list[Candidate], top: list[Candidate], span: ShortAnswer | None, missing: str | None
    ) -> None:
        super().__init__(ranked)
        self.top = top
        self.span = span
        self.missing = missing


class ExtractiveAnswerer:
    """Quote the best sentences verbatim; refuse when none supports an answer."""

    name = "extractive"

    def __init__(self, embedder: Embedder, config: RagConfig, model: LogisticModel | None = None) -> None:
        self.embedder = embedder
        self.cfg = config
        self.model = model or load_model()
        self.vectors = SentenceVectors(embedder.embed, config.sentence_cache)

    def warm_up(self) -> None:
        """Load the NER model the first question would otherwise wait for."""
        load_ner()

    def answer(self, retrieval: Retrieval, ranked: Ranking | None = None) -> Answer:
        """The answer; `ranked`, when given, is `rank(retrieval)` already computed (the eval
        scores the ranking and the answer from one reading)."""
        ranked = self.rank(retrieval) if ranked is None else ranked
        chosen = self.choose(ranked)
        support = max((c.score for c in ranked), default=0.0)
        if not chosen:
            return refusal(retrieval, self.name, support=support)
        top, short, missing = ranked.top, ranked.span, ranked.missing
        if missing and self.cfg.refuse_missing_kind:
            return refusal(retrieval, self.name, support=support, note=f"None of the passages found gives {missing}.")
        if short and short.confidence < self.cfg.short_answer_min_conf:
            short = None
        if short:  # the sentence that proves the short answer, and one more only as evidence
            chosen = self.proof(short, top)
        conflict = find_conflict(ranked, self.cfg)
        if conflict:  # cite both sides of the disagreement
            chosen = conflict.cited(chosen)
        citations = [Citation.quoting(i, c.article, c.start, c.end, c.score) for i, c in enumerate(chosen, 1)]
        body = " ".join(f"{escape_markers(c.quote)} [{c.n}]" for c in citations)
        text = f"{short.text}. {body}" if short else body
        notice = conflict.notice(citations) if conflict else None
        proof = top[short.sentence] if short else None
        return Answer(
            question=retrieval.question,
            answer=f"{text} {notice}" if notice else text,
            refused=False,
            citations=citations,
            short_answer=short.text if short else None,
            short_answer_span=(
                ShortAnswerSpan(citation=chosen.index(proof) + 1, start=short.start, end=short.end)
                if short and proof in chosen
                else None
            ),
            support=support,
            query=retrieval.query,
            conflict=notice,
            backend=self.name,
        )

    def reader_top(self, ranked: list[Candidate]) -> list[Candidate]:
        """The reader's best `short_answer_pool` sentences in its own order (`rank` may have moved
        one of them first): what the span ranker was fitted on."""
        return sorted(ranked[: self.cfg.short_answer_pool], key=lambda c: -c.score)

    def read_spans(
        self, question: str, top: list[Candidate], query: str | None = None, stored: EntityLookup | None = None
    ) -> tuple[ShortAnswer | None, str | None]:
        """The span ranker's best phrase in the reader's best sentences (`top`), however sure, and
        the kind the question asks for that none of them gives (`missing_kind`): one NER pass, over
        the sentences whose entities the store (`stored`) does not give."""
        texts = [c.text for c in top]
        keys = [(c.article.id, c.start, c.end) for c in top]
        given = stored(keys) if stored is not None else {}
        known = [given.get(k) for k in keys]
        found = candidate_spans(question, texts, remember=self.cfg.sentence_cache > 0, known=known)
        ids = [c.article.id for c in top]
        short = best_span(question, texts, [c.score for c in top], ids, query, candidates=found)
        return short, missing_kind(question, found)

    def proof(self, short: ShortAnswer, top: list[Candidate]) -> list[Candidate]:
        """The sentence the short answer comes from, then one from another article that gives the
        same phrase (evidence, not repetition); captions and headlines that don't hold it are left out."""
        first = top[short.sentence]
        phrase = short.text.lower()
        agree = [
            c
            for c in top
            if c is not first
            and c.article.id != first.article.id
            and not (self.cfg.one_article_per_story and _copy(c, first))
            and phrase in c.text.lower()
            and not _same(c.text, first.text, self.cfg.duplicate_overlap)
        ]
        return [first, *agree[:1]]

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        # Nothing is written piece by piece: no draft, the checked answer at once.
        yield self.answer(retrieval)

    def rank(self, retrieval: Retrieval) -> Ranking:
        """Every candidate sentence of the retrieved passages, most likely to answer first."""
        sentences = pool(retrieval.passages)
        if not sentences:
            return Ranking([], [], None, None)
        dense, focus_dense = similarities(
            self.vectors, retrieval.query, retrieval.query_vector, sentences, retrieval.sentence_vectors
        )
        as_of = retrieval.as_of.toordinal() if retrieval.as_of else None
        x = features(retrieval.query, sentences, dense, retrieval.idf, as_of, focus_dense)
        probs, cover = self.model.proba(x), coverage(x)
        scored = [
            Candidate(s.passage.article, s.start, s.end, s.passage.rank, float(p), float(c))
            for s, p, c in zip(sentences, probs, cover, strict=True)
        ]
        ranked = sorted(scored, key=lambda c: -c.score)
        # Answer first: the sentence that holds the most likely answer phrase leads, its score kept
        # (RagConfig.proof_first_conf)
        top = self.reader_top(ranked)
        span, missing = self.read_spans(retrieval.question, top, retrieval.query, retrieval.sentence_entities)
        if span and span.sentence and span.confidence >= self.cfg.proof_first_conf:
            ranked.insert(0, ranked.pop(span.sentence))
        return Ranking(ranked, top, span, missing)

    def choose(self, ranked: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus a runner-up only when the reader can barely tell it from the best
        (not a weaker caption or headline as padding) and it says something new; none when no
        sentence covers the question or none is likely to answer it."""
        best = max((c.score for c in ranked), default=0.0)  # the reader's (`rank` may lead with another)
        if not ranked or best < self.cfg.refusal_threshold or max(c.coverage for c in ranked) < self.cfg.min_coverage:
            return []
        chosen = [ranked[0]]
        for c in ranked[1:]:
            if len(chosen) >= self.cfg.max_answer_sentences:
                break
            if (
                c.score >= self.cfg.second_sentence_ratio * best
                and not any(_same(c.text, o.text, self.cfg.duplicate_overlap) for o in chosen)
                and not (self.cfg.one_article_per_story and any(_copy(c, o) for o in chosen))
            ):
                chosen.append(c)
        return chosen


def _same(a: str, b: str, overlap: float) -> bool:
    """Near-duplicate sentences (the same wire story in two papers) add nothing."""
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) > overlap


def _copy(a: Candidate, b: Candidate) -> bool:
    """Sentences of two articles of one story: the second says the first again."""
    return a.article.id != b.article.id and a.article.story_id == b.article.story_id
