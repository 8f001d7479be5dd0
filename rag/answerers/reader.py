"""The learned sentence reader: how likely each candidate sentence is to hold the answer.

Every sentence of the retrieved passages gets a row of features that carry over to any news
corpus: meaning and word overlap with the question (and with its focus, the last sentence of a
question that sets the scene first), how tightly the question's words cluster, whether it
holds a new name/number/date of the kind asked for, whether it keeps the question's names and
years, its neighbours' overlap, where it stands, how recent its article is. A logistic model,
fitted on labelled public questions by `python -m rag.eval.train_reader` with week-grouped
cross-validation, turns the row into a probability. The model ships as a versioned JSON file (`reader_model.json`)."""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from rag.answerers.logistic import LogisticModel, load_logistic
from rag.answerers.short_answer import extract, question_kind
from rag.models import Passage, SentenceLookup
from rag.text.analyzer import stopwords, terms
from rag.text.splitter import sentence_spans

MODEL_PATH = Path(__file__).with_name("reader_model.json")

# Words a quiz question uses that say nothing about the answer.
_FILLER = frozenset(terms("this week recently reportedly news announced according report reports"))
_TOKEN = re.compile(r"[\w'’-]+")
_DIGIT = re.compile(r"\d")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")

FEATURES: tuple[str, ...] = (
    "dense",
    "dense_gap",
    "dense_rank",
    "lexical",
    "lexical_gap",
    "lexical_rank",
    "proximity",
    "bigrams",
    "kind_name",
    "kind_number",
    "kind_date",
    "typed_new",
    "new_names",
    "new_numbers",
    "passage_rank",
    "passage_score",
    "position",
    "lead",
    "title_cov",
    "recency",
    "undated",
    "length",
    "quoted",
    "anchors",
    "anchors_passage",
    "year_clash",
    "focus_lexical",
    "focus_dense",
    "has_context",
    "neighbor_lexical",
    "neighbor_dense",
)


# The features of one sentence alone (`features` builds each row by these names); the others
# compare a sentence with the rest of its pool and are filled column by column.
ROW_FEATURES: tuple[str, ...] = (
    "lexical", "proximity", "bigrams", "kind_name", "kind_number", "kind_date", "typed_new", "new_names",
    "new_numbers", "passage_rank", "passage_score", "position", "lead", "title_cov", "recency", "undated",
    "length", "quoted", "anchors", "anchors_passage", "year_clash",
)  # fmt: skip
POOL_FEATURES: tuple[str, ...] = (
    "dense", "dense_gap", "dense_rank", "lexical_gap", "lexical_rank", "focus_lexical", "focus_dense",
    "has_context", "neighbor_lexical", "neighbor_dense",
)  # fmt: skip
assert sorted(ROW_FEATURES + POOL_FEATURES) == sorted(FEATURES), "every feature is filled exactly once"


def question_anchors(question: str) -> set[str]:
    """The question's names and numbers (lower-cased): capitalised words after its first, digits."""
    words = _TOKEN.findall(question)
    return {
        w.lower().removesuffix("'s").removesuffix("’s")
        for i, w in enumerate(words)
        if _DIGIT.search(w) or (i > 0 and w[0].isupper() and w.lower() not in stopwords())
    }


def _share(anchors: set[str], text: str) -> float:
    low = text.lower()
    return sum(a in low for a in anchors) / len(anchors) if anchors else 1.0


@lru_cache(maxsize=1024)  # asked 5 times per answer (reader, spans, kinds): ~4 ms of sentence splitting
def question_focus(question: str) -> str:
    """What a quiz question actually asks: its last sentence when it first sets the scene
    ("Microsoft retired Internet Explorer this week. What year did it debut?"), else all of it."""
    spans = sentence_spans(question)
    return question[spans[-1][0] : spans[-1][1]] if len(spans) > 1 else question


def question_terms(question: str) -> list[str]:
    return [t for t in terms(question) if t not in _FILLER] or terms(question)


@dataclass(frozen=True)
class Sentence:
    """One candidate sentence: `article.text[start:end]` of the passage it came from."""

    passage: Passage
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.passage.article.text[self.start : self.end]


def pool(passages: Sequence[Passage], *, min_words: int = 4, drop_questions: bool = True) -> list[Sentence]:
    """Every quotable sentence of the passages, in retrieval order, once (passages overlap by a
    sentence): at least `min_words` words, and not itself a question (an FAQ heading or a teaser
    never answers)."""
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for p in passages:
        for s, e in _passage_spans(p.text, p.start):
            text = p.article.text[s:e]
            if (
                (p.article.id, s) in seen
                or len(_TOKEN.findall(text)) < min_words
                or (drop_questions and _is_question(text))
            ):
                continue
            seen.add((p.article.id, s))
            out.append(Sentence(p, s, e))
    return out


@lru_cache(maxsize=4096)
def _passage_spans(text: str, offset: int) -> list[tuple[int, int]]:
    """Sentence splitting was a tenth of a question's time once its sentence vectors were
    remembered, and the same passages come back for many questions."""
    return sentence_spans(text, offset=offset)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip(" \u201d\"'.)\u2026").endswith("?")


def _coverage(q_weights: dict[str, float], s_terms: set[str]) -> float:
    total = sum(q_weights.values())
    return sum(w for t, w in q_weights.items() if t in s_terms) / total if total else 0.0


def _proximity(q_set: set[str], s_seq: list[str]) -> float:
    """Distinct question terms matched per token of the window that holds them all (1 = adjacent)."""
    pos = [i for i, t in enumerate(s_seq) if t in q_set]
    if not pos:
        return 0.0
    matched = len({s_seq[i] for i in pos})
    return matched / (pos[-1] - pos[0] + 1)


def _bigrams(q_seq: list[str], s_seq: list[str]) -> float:
    qb = set(pairwise(q_seq))
    if not qb:
        return 0.0
    return len(qb & set(pairwise(s_seq))) / len(qb)


def _neighbors(sentences: Sequence[Sentence]) -> tuple[np.ndarray, np.ndarray]:
    """Index of the sentence just before and just after each one in its article (-1: none in the
    pool): an answer often sits next to the sentence that restates the question."""
    left, right = np.full(len(sentences), -1), np.full(len(sentences), -1)
    by_article: dict[str, list[int]] = {}
    for i, s in enumerate(sentences):
        by_article.setdefault(s.passage.article.id, []).append(i)
    for idx in by_article.values():
        idx.sort(key=lambda i: sentences[i].start)
        for a, b in pairwise(idx):
            if sentences[b].start - sentences[a].end <= 2:  # adjacent in the text
                right[a], left[b] = b, a
    return left, right


def _inverse_rank(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return 1.0 / (1.0 + ranks)


def features(
    question: str,
    sentences: Sequence[Sentence],
    dense: np.ndarray,
    idf: Callable[[str], float],
    as_of_ordinal: int | None = None,
    focus_dense: np.ndarray | None = None,
) -> np.ndarray:
    """One row of `FEATURES` per sentence (float32). `dense`: each sentence's similarity to the
    question; `focus_dense`: to `question_focus(question)` where that differs (else `dense`)."""
    n = len(sentences)
    if n == 0:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    q_seq = question_terms(question)
    q_set = set(q_seq)
    q_weights = {t: idf(t) for t in q_set}
    q_lower = question.lower()
    kind = question_kind(question)
    anchors = question_anchors(question)
    years = set(_YEAR.findall(question))
    texts = [s.text for s in sentences]
    seqs = [terms(t) for t in texts]
    lexical = np.array([_coverage(q_weights, set(seq)) for seq in seqs])
    focus = question_focus(question)
    f_weights = {t: idf(t) for t in question_terms(focus)}
    focus_lexical = np.array([_coverage(f_weights, set(seq)) for seq in seqs]) if focus != question else lexical
    answers = [extract(question, t) if kind else None for t in texts]
    max_score = max((s.passage.score for s in sentences), default=1.0) or 1.0
    rows = []
    for i, (s, text, seq) in enumerate(zip(sentences, texts, seqs, strict=True)):
        tokens = _TOKEN.findall(text)
        new_names = sum(1 for j, w in enumerate(tokens) if j > 0 and w[0].isupper() and w.lower() not in q_lower)
        new_numbers = sum(1 for w in tokens if _DIGIT.search(w) and w.lower() not in q_lower)
        art = s.passage.article
        days = (as_of_ordinal - art.date.toordinal()) if as_of_ordinal is not None and art.date else None
        rows.append(
            {
                "lexical": lexical[i],
                "proximity": _proximity(q_set, seq),
                "bigrams": _bigrams(q_seq, seq),
                "kind_name": kind == "name",
                "kind_number": kind == "number",
                "kind_date": kind == "date",
                "typed_new": answers[i] is not None,
                "new_names": math.log1p(new_names),
                "new_numbers": math.log1p(new_numbers),
                "passage_rank": 1.0 / (1.0 + s.passage.rank),
                "passage_score": s.passage.score / max_score,
                "position": math.log1p(s.start / 200),
                "lead": s.start < 400,
                "title_cov": _coverage(q_weights, set(terms(art.title))),
                "recency": math.exp(-max(days, 0) / 14) if days is not None else 0.0,
                "undated": art.date is None,
                "length": math.log1p(len(tokens)),
                "quoted": "\u201c" in text or '"' in text,
                "anchors": _share(anchors, text),
                "anchors_passage": _share(anchors, s.passage.text),
                # the question names a year the sentence lacks while it names another
                "year_clash": bool(years) and not years & set(_YEAR.findall(text)) and bool(_YEAR.search(text)),
            }
        )
    col = {name: i for i, name in enumerate(FEATURES)}
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    for name in ROW_FEATURES:  # by name, into the model's column order: no value lands in another's column
        x[:, col[name]] = [float(row[name]) for row in rows]
    x[:, col["dense"]] = dense
    x[:, col["dense_gap"]] = dense - dense.max()
    x[:, col["dense_rank"]] = _inverse_rank(dense)
    x[:, col["lexical_gap"]] = lexical - lexical.max()
    x[:, col["lexical_rank"]] = _inverse_rank(lexical)
    x[:, col["focus_lexical"]] = focus_lexical
    x[:, col["focus_dense"]] = dense if focus_dense is None else focus_dense
    x[:, col["has_context"]] = focus != question
    left, right = _neighbors(sentences)
    for name, v in (("neighbor_lexical", lexical), ("neighbor_dense", dense)):
        padded = np.append(v, -1.0)  # index -1: no neighbour
        x[:, col[name]] = np.maximum(np.maximum(padded[left], padded[right]), 0.0)
    return x.astype(np.float32)


def coverage(x: np.ndarray) -> np.ndarray:
    """How much of the question each sentence covers, by meaning and by words, from its feature
    row: half dense similarity, half IDF-weighted term coverage, times 0.8 when the question asks
    for a name/number/date the sentence lacks. No sentence of an on-topic pool that doesn't
    answer covers much (the seed set's unanswerable questions): refusal reads it with the
    reader's probability."""
    col = {name: i for i, name in enumerate(FEATURES)}
    asks = x[:, [col["kind_name"], col["kind_number"], col["kind_date"]]].any(axis=1)
    lacks = asks & (x[:, col["typed_new"]] == 0)
    return (0.5 * x[:, col["dense"]] + 0.5 * x[:, col["lexical"]]) * np.where(lacks, 0.8, 1.0)


class SentenceVectors:
    """Sentence embeddings, remembered by text (least recently used dropped past `capacity`):
    embedding the pool is most of a question's time, and one week's articles answer many
    questions. Safe across threads."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], capacity: int = 20_000) -> None:
        self._embed = embed
        self.capacity = capacity
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def remembers(self, text: str) -> bool:
        with self._lock:
            return text in self._lru

    def __call__(
        self, texts: list[str], fresh: Sequence[str] = (), known: Mapping[str, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(vectors of `texts`, remembered; vectors of `fresh`, never remembered), one model call;
        `known`: vectors already at hand (stored at ingest), by text: not embedded, remembered."""
        got = dict(known or {})
        with self._lock:
            for t in texts:
                if t not in got and t in self._lru:
                    got[t] = self._lru[t]
                    self._lru.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in got))
        vecs = self._embed(list(fresh) + missing) if fresh or missing else np.zeros((0, 0), np.float32)
        got.update(zip(missing, vecs[len(fresh) :], strict=True))
        with self._lock:
            for t in [*(known or ()), *missing]:
                self._lru[t] = got[t]
            while len(self._lru) > self.capacity:
                self._lru.popitem(last=False)
        return np.stack([got[t] for t in texts]) if texts else np.zeros((0, 0), np.float32), vecs[: len(fresh)]


def similarities(
    vectors: SentenceVectors,
    question: str,
    query_vector: np.ndarray,
    sentences: Sequence[Sentence],
    stored: SentenceLookup | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Each sentence's cosine similarity to the question and, where it sets the scene first, to
    its focus (one embedding call for both, for the sentences neither remembered nor `stored`:
    Retrieval.sentence_vectors)."""
    focus = question_focus(question)
    known: dict[str, np.ndarray] = {}
    if stored is not None:
        new = {(s.passage.article.id, s.start, s.end): s.text for s in sentences if not vectors.remembers(s.text)}
        known = {new[k]: v for k, v in stored(list(new)).items()} if new else {}
    sent, extra = vectors([s.text for s in sentences], [focus] if focus != question else [], known)
    return sent @ query_vector, (sent @ extra[0] if len(extra) else None)


def load_model(path: Path = MODEL_PATH) -> LogisticModel:
    return load_logistic(path, FEATURES)
