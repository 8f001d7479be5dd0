"""Answer spans: the two words before the quote. Candidate phrases are taken from the reader's
best sentences (spaCy's named entities, dates, numbers and money; the regex patterns of
`rag.answerers.short_answer` where spaCy finds nothing), grouped by their text, and a logistic
span ranker (`span_model.json`, fitted by `python -m rag.eval.train_spans` with cross-year folds)
says how likely each is to be exactly the answer. Every feature is about the span's relation to
the question and to the reader's ranking, never about which names it holds, so it carries to
news of any year."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from rag.answerers.logistic import load_logistic
from rag.answerers.reader import question_focus
from rag.answerers.short_answer import _candidates, question_kind
from rag.models import Entities
from rag.text.analyzer import stopwords, terms
from rag.text.entities import entities

SPAN_MODEL_PATH = Path(__file__).with_name("span_model.json")

# What kind of thing each question asks for, and the entity labels that can be one. "blank": a quiz
# statement that ends where its answer goes ("... a condition that prevents people from:").
QTYPES: tuple[str, ...] = ("person", "place", "org", "date", "count", "amount", "thing", "blank")
_NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "RE_NAME"})
LABELS: dict[str, frozenset[str]] = {
    "person": frozenset({"PERSON", "NORP", "ORG", "RE_NAME"}),
    "place": frozenset({"GPE", "LOC", "FAC", "RE_NAME"}),
    "org": frozenset({"ORG", "RE_NAME"}),
    "date": frozenset({"DATE", "TIME", "RE_DATE"}),
    "count": frozenset({"CARDINAL", "QUANTITY", "RE_NUMBER"}),
    "amount": frozenset({"MONEY", "PERCENT", "QUANTITY", "CARDINAL", "RE_NUMBER"}),
    "thing": _NAMES,
    "blank": _NAMES | {"DATE", "TIME", "CARDINAL", "QUANTITY", "MONEY", "PERCENT"},
}
# The label each type is most often answered by: a stricter match than LABELS.
PRIMARY = {"person": "PERSON", "place": "GPE", "org": "ORG", "date": "DATE", "count": "CARDINAL", "amount": "MONEY"}
_ORG_WORDS = (
    r"company|companies|firm|organi[sz]ation|agency|team|club|party|network|brand|airline|bank|"
    r"retailer|automaker|group|university|newspaper|league"
)
_PLACE_WORDS = r"country|countries|city|state|nation|island|region|province|capital|continent|town|county"


# What each pattern says a question asks for. The earliest match in the question's focus decides
# ("Which sport's body ruled that athletes who ..." asks for a thing, not a person); on a tie, the
# first pattern ("how much" before "what").
_QUESTION_TYPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), qtype)
    for pattern, qtype in (
        (r"\bhow (much|fast|far|big|large|tall)\b|\bwhat (percentage|percent|share|amount|price)\b", "amount"),
        (r"\bhow (many|old)\b|\bwhat number\b", "count"),
        (r"\bwhen\b|\bhow long\b|\b(what|which) (year|date|day|month)\b|\bsince:$", "date"),
        (rf"\b(what|which) (\w+ )?({_ORG_WORDS})\b", "org"),
        (rf"\bwhere\b|\b(what|which|in what|in which) (\w+ )?({_PLACE_WORDS})\b", "place"),
        (r"\bwho(m|se)?\b", "person"),
        (r"\b(what|which)\b", "thing"),
        (r":$", "blank"),
    )
)


def question_type(question: str) -> str | None:
    """The kind of answer a question asks for (one of `QTYPES`), None when it asks for none."""
    q = question_focus(question).lower().strip()
    found = [(m.start(), i, qtype) for i, (pattern, qtype) in enumerate(_QUESTION_TYPES) if (m := pattern.search(q))]
    return min(found)[2] if found else None


@dataclass(frozen=True)
class Span:
    """A candidate phrase: `sentences[sentence][start:end]`, of entity `label` (spaCy's, or RE_NAME /
    RE_NUMBER / RE_DATE from the regex fallback)."""

    sentence: int
    start: int
    end: int
    label: str
    text: str


_TOKEN = re.compile(r"[\w'’-]+")
_DIGIT = re.compile(r"\d")
_STRIP = " ,.;:\"'“”‘’()"
_REGEX_LABEL = {"name": "RE_NAME", "number": "RE_NUMBER", "date": "RE_DATE"}


# How news writes a phrase that a short answer writes bare: "more than 75,000" (75,000),
# "Steven Spielberg's" (Steven Spielberg), "Twitter Inc" (Twitter).
_QUALIFIER = re.compile(
    r"^(?:more than|less than|fewer than|at least|up to|about|around|nearly|almost|over|roughly|"
    r"approximately|some|just over|just under) ",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['’]s?$")
_COMPANY = re.compile(r",? (?:Inc|Corp|Co|Ltd|LLC|PLC)\.?$")
_NUMERIC = frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"})


def _trim(text: str, label: str) -> str:
    text = _POSSESSIVE.sub("", text)
    if label in _NUMERIC:
        text = _QUALIFIER.sub("", text)
    if label == "ORG":
        text = _COMPANY.sub("", text)
    return text.strip(_STRIP)


def _extend_norp(sentence: str, s: int, e: int) -> int:
    """A lone nationality takes its noun along: "Syrian insurgents", "Ukrainian forces"."""
    rest = sentence[e:]
    follow = _TOKEN.match(rest.lstrip())
    if follow and follow.group().islower() and len(follow.group()) > 2:
        return e + (len(rest) - len(rest.lstrip())) + follow.end()
    return e


_JOINER = re.compile(r",? and |, | & ")
NP_SENTENCES = 3  # noun phrases only from the reader's best few: each sentence holds many


def _joined(sentence: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Runs of entities of one kind joined by "and" or commas, as one phrase: "Sweden and
    Finland", "Tass and RIA", "Druze, Sunnis, Alawites" (quizzes ask for them together)."""
    out: list[tuple[int, int, str]] = []
    run = found[:1]
    for prev, cur in pairwise(found):
        if (prev[2] == cur[2] or {prev[2], cur[2]} <= _NAMES) and _JOINER.fullmatch(sentence[prev[1] : cur[0]]):
            run.append(cur)
            continue
        if len(run) > 1:
            out.append((run[0][0], run[-1][1], run[0][2]))
        run = [cur]
    if len(run) > 1:
        out.append((run[0][0], run[-1][1], run[0][2]))
    return out


_WH_NOUN = re.compile(r"\b(?:which|what)\s+(\w+)(?:\s+(\w+))?")
# Auxiliaries: never the noun a question asks for, and after its wh-phrase they mark it inverted.
_AUX = ("did", "does", "do", "is", "was", "are", "were", "has", "have", "had", "will", "would", "can", "could")


def _noun_phrases(sentence: str, question: str, question_terms: set[str]) -> list[tuple[int, int, str]]:
    """Runs of up to three content words the question doesn't hold (their head last): what a
    "what" question is often answered by, when it is no named entity ("an edit button",
    "monarch butterflies"). The noun the question asks for may end one ("Which flag ...?": "the
    revolutionary flag")."""
    heads = {
        t for m in _WH_NOUN.finditer(question.lower()) for w in m.groups() if w and w not in _AUX for t in terms(w)
    }
    out: list[tuple[int, int, str]] = []
    run: list[re.Match[str]] = []
    for m in [*_TOKEN.finditer(sentence), None]:
        word = m.group() if m else ""
        content = bool(word) and word.lower() not in stopwords() and not _DIGIT.search(word)
        asked = content and bool(run) and bool(set(terms(word))) and set(terms(word)) <= heads
        content = content and not set(terms(word)) & question_terms
        adjacent = m is not None and bool(run) and sentence[run[-1].end() : m.start()] == " "
        if m and (content or asked) and adjacent:
            run.append(m)
            if not asked:
                continue
        if run and (run[-1] is m or not asked):
            out.append((run[-3:][0].start(), run[-1].end(), "NP"))
        run = [m] if m and content and not asked else []
    return out


def candidate_spans(
    question: str,
    sentences: Sequence[str],
    *,
    remember: bool = True,
    known: Sequence[Entities | None] | None = None,
) -> list[Span]:
    """Every phrase of the asked-for kind in `sentences` that the question doesn't already hold
    (`remember`, `known`: as in `rag.text.entities.entities`)."""
    qtype = question_type(question)
    if qtype is None:
        return []
    q_terms = set(terms(question))
    q_lower = question.lower()
    kind = question_kind(question)
    out: list[Span] = []
    for i, (sent, ents) in enumerate(zip(sentences, entities(sentences, remember=remember, known=known), strict=True)):
        found = []
        for s, e, label in ents:
            if label == "NORP" and qtype in ("person", "thing", "blank"):
                e = _extend_norp(sent, s, e)
            found.append((s, e, label))
        found += _joined(sent, found)
        if not found and kind:  # spaCy missed or absent: the patterns
            found = [(s, e, _REGEX_LABEL[kind]) for s, e in _candidates(kind, sent)]
        if qtype in ("thing", "blank") and i < NP_SENTENCES:
            found += _noun_phrases(sent, question, q_terms)
        for s, e, label in found:
            text = _trim(sent[s:e].strip(_STRIP).removeprefix("the ").removeprefix("The "), label)
            if qtype in ("count", "amount") and label in _NUMERIC | {"DATE", "TIME"}:
                # "at least 1,500 hours" asked "how many hours": the number alone
                head, _, unit = text.rpartition(" ")
                if head and _DIGIT.search(head) and set(terms(unit)) <= q_terms:
                    text, label = _QUALIFIER.sub("", head), "CARDINAL"
            if not text:
                continue
            s = sent.index(text, s)  # offsets of the phrase as shown
            e = s + len(text)
            words = set(terms(text))
            # A phrase the question already holds can't answer it ("Russian bases" about Russian
            # bases); one sharing only some words may ("Hawaiian Airlines" merging with Alaska
            # Airlines): the ranker weighs that (`partial_repeat`).
            if (words and words <= q_terms) or text.lower() in q_lower:
                continue
            out.append(Span(i, s, e, label, text))
    return out


# What a question for a date or a number needs to find, and what a refusal names as missing. Not
# for "who", "where" or "which": those are answered by a role or a common noun as often as by a name
# ("Who opened the bridge?" The mayor), and spaCy misses names ("Facebook" on RGB).
_NUMBERS = _NUMERIC | {"RE_NUMBER"}
FINDS: dict[str, tuple[frozenset[str], str]] = {
    "date": (LABELS["date"], "a date"),
    "count": (_NUMBERS, "a number"),
    "amount": (_NUMBERS, "an amount"),
}


def missing_kind(question: str, candidates: Sequence[Span]) -> str | None:
    """What the question asks for (`FINDS`) when none of its `candidate_spans` is of that kind: "How
    old is Bashar Assad?" over sentences that give no number. None when one is, or the question
    asks for no date or number."""
    qtype = question_type(question)
    if qtype not in FINDS:
        return None
    labels, words = FINDS[qtype]
    return None if any(s.label in labels for s in candidates) else words


SPAN_FEATURES: tuple[str, ...] = (
    "type_ok",
    "type_primary",
    *(f"q_{t}" for t in QTYPES),
    "p_max",
    "p_share",
    "best_rank",
    "in_top1",
    "articles",
    "near",
    "near_top",
    "window",
    "window_best",
    "aligned",
    "aligned_best",
    "share_lead",
    "words",
    "rivals",
    "partial_repeat",
    "from_ner",
    "np_only",
    "np_alone",
    "possessive",
)


def _key(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


_WH = re.compile(r"\b(?:who(?:m|se)?|what|which|where|when|how (?:many|much)|why)\b", re.IGNORECASE)
# "Where did Assad flee?": an auxiliary after the wh-phrase puts the question's subject and verb
# before the answer in a statement ("Assad fled to Moscow"); without one the wh-word is the subject
# ("Who guaranteed the bases?": "Insurgents guaranteed the bases").
_INVERTED = re.compile(rf"^(?:\s+\w+)?\s+(?:{'|'.join((*_AUX, 'should', 'may', 'might'))})\b", re.IGNORECASE)


def question_sides(question: str) -> tuple[set[str], set[str]]:
    """The question's terms expected before and after its answer in a statement: "Who [guaranteed
    the security of Russian bases]?" is answered by the phrase those words follow, "[Crowds lined
    the streets of] which country?" by the one they precede, and "Where did [Assad flee]?" by one
    they precede too (the question is inverted)."""
    found = list(_WH.finditer(question))
    if not found:
        return set(), set(terms(question))
    m = found[-1]  # the last: a question that sets the scene first asks at its end
    before, after = set(terms(question[: m.start()])), set(terms(question[m.end() :]))
    if _INVERTED.match(question[m.end() :]):
        return before | after, set()
    return before, after


@lru_cache(maxsize=4096)
def _tokens(sentence: str) -> tuple[list[re.Match[str]], list[frozenset[str]]]:
    """A sentence's tokens and the terms of each (every span of a sentence is placed in it)."""
    found = list(_TOKEN.finditer(sentence))
    return found, [frozenset(terms(m.group())) for m in found]


def _placement(
    question_terms: set[str], sentence: str, span: Span, sides: tuple[set[str], set[str]], width: int = 8
) -> tuple[float, float, float]:
    """Where the span stands among the question's words in its sentence, from one tokenisation:
    nearness, 1 / (1 + tokens to the nearest question word) (0 when none); window, the share
    of the question's words within `width` tokens either side (the phrase that answers a question
    stands among its words, not just near one of them); and aligned, the share of them on the
    side the question puts them (`question_sides`): the phrase fills the question's gap."""
    found, words = _tokens(sentence)
    inside = [j for j, m in enumerate(found) if m.start() >= span.start and m.end() <= span.end]
    if not inside:
        return 0.0, 0.0, 0.0
    anchors = [j for j, w in enumerate(words) if w & question_terms]
    near = 1.0 / (1.0 + min(abs(a - j) for a in anchors for j in (inside[0], inside[-1]))) if anchors else 0.0
    if not question_terms:
        return near, 0.0, 0.0
    lo, hi = max(0, inside[0] - width), inside[-1] + width + 1
    left = frozenset().union(*words[lo : inside[0]])
    right = frozenset().union(*words[inside[-1] + 1 : hi])
    before, after = sides
    aligned = (len(before & left) + len(after & right)) / max(1, len(before) + len(after))
    return near, len((left | right) & question_terms) / len(question_terms), aligned


@dataclass(frozen=True)
class SpanGroup:
    """One answer phrase and every place it stands among the candidate sentences."""

    text: str
    spans: tuple[Span, ...]


def group_spans(spans: Sequence[Span]) -> list[SpanGroup]:
    groups: dict[str, list[Span]] = {}
    for sp in spans:
        groups.setdefault(_key(sp.text), []).append(sp)
    # the group's text: its most common surface form, first seen on ties
    return [
        SpanGroup(max(dict.fromkeys(s.text for s in g), key=[s.text for s in g].count), tuple(g))
        for g in groups.values()
    ]


def span_features(
    question: str,
    sentences: Sequence[str],
    probs: Sequence[float],
    articles: Sequence[str],
    groups: Sequence[SpanGroup],
    query: str | None = None,
) -> np.ndarray:
    """One row of `SPAN_FEATURES` per group. `sentences` best first with the reader's `probs` and
    the id of the article each comes from; `query`, the standalone query when a chat history made
    one (its words from earlier turns say where the answer stands, "Where did he go?" after "Who fled
    to Moscow?"), else the question."""
    qtype = question_type(question)
    q_terms = set(terms(query or question))
    own_terms = set(terms(question))
    # agreement counts sources, not repetitions: each article by its best sentence, so a phrase one
    # article repeats in every sentence ("Syria", in a story about Syria) is not taken for consensus
    best_of: dict[str, float] = {}
    for a, p in zip(articles, probs, strict=True):
        best_of[a] = max(best_of.get(a, 0.0), p)
    total = sum(best_of.values()) or 1.0
    asked = LABELS[qtype] if qtype else frozenset()
    labels = [{s.label for s in g.spans} for g in groups]
    typed = [bool(lab & asked) for lab in labels]  # of the asked-for kind
    sides = question_sides(query or question)
    placed = [[_placement(q_terms, sentences[s.sentence], s, sides) for s in g.spans] for g in groups]
    windows = [max(w for _, w, _ in pl) for pl in placed]
    aligned = [max(a for _, _, a in pl) for pl in placed]
    # the best-placed phrase of the asked-for kind: relative, so it holds for long and short questions
    top_window = max((w for w, t in zip(windows, typed, strict=True) if t), default=0.0)
    top_aligned = max((a for a, t in zip(aligned, typed, strict=True) if t), default=0.0)
    rows = []
    for g, lab, ok, pl, window, align in zip(groups, labels, typed, placed, windows, aligned, strict=True):
        idx = sorted({s.sentence for s in g.spans})
        near = [n for n, _, _ in pl]
        words = set(terms(g.text))
        row: dict[str, float] = {
            "type_ok": ok,
            "type_primary": qtype in PRIMARY and PRIMARY[qtype] in lab,
            **{f"q_{t}": qtype == t for t in QTYPES},
            "p_max": max(probs[i] for i in idx),
            "p_share": sum(max(probs[i] for i in idx if articles[i] == a) for a in {articles[i] for i in idx}) / total,
            "best_rank": 1.0 / (1.0 + idx[0]),
            "in_top1": idx[0] == 0,
            "articles": math.log1p(len({articles[i] for i in idx})),
            "near": max(near),
            "near_top": max((n for s, n in zip(g.spans, near, strict=True) if s.sentence == idx[0]), default=0.0),
            "window": window,
            "window_best": window > 0 and window >= top_window,
            "aligned": align,
            "aligned_best": align > 0 and align >= top_aligned,
            "words": math.log1p(len(g.text.split())),
            "rivals": math.log1p(sum(typed)),
            "partial_repeat": bool(words & own_terms),
            "from_ner": any(not label.startswith("RE_") and label != "NP" for label in lab),
            "np_only": lab == {"NP"},
            "np_alone": lab == {"NP"} and not any(typed),
            # "Syria's Bashar Assad": a possessive names whose, not usually what was asked
            "possessive": sum(sentences[sp.sentence][sp.end : sp.end + 2] in ("'s", "’s") for sp in g.spans)
            / len(g.spans),
        }
        rows.append(row)
    # the reader's share against the best rival of the asked-for kind's: a margin, so that the
    # confidence says how clear the choice is, not only how good the phrase looks on its own
    typed_rows = [r for r, t in zip(rows, typed, strict=True) if t]
    for r in rows:
        r["share_lead"] = r["p_share"] - max((o["p_share"] for o in typed_rows if o is not r), default=0.0)
    out = [[float(r[name]) for name in SPAN_FEATURES] for r in rows]
    return np.array(out, dtype=np.float64).reshape(len(groups), len(SPAN_FEATURES))


@dataclass(frozen=True)
class ShortAnswer:
    """The ranker's best phrase, its probability of being exactly right, and the candidate
    sentence (an index into the ones given) that best proves it."""

    text: str
    confidence: float
    sentence: int
    start: int
    end: int


def best_span(
    question: str,
    sentences: Sequence[str],
    probs: Sequence[float],
    articles: Sequence[str],
    query: str | None = None,
    path: Path = SPAN_MODEL_PATH,
    *,
    candidates: Sequence[Span] | None = None,
) -> ShortAnswer | None:
    """The most likely short answer among the sentences (best first), None when none is a candidate.
    `query`: as in `span_features`; `candidates`: their `candidate_spans`, when already found."""
    found = candidate_spans(question, sentences) if candidates is None else candidates
    groups = group_spans(found)
    if not groups:
        return None
    x = span_features(question, sentences, probs, articles, groups, query)
    p = load_logistic(path, SPAN_FEATURES).proba(x)
    g = groups[int(np.argmax(p))]
    proof = min(g.spans, key=lambda s: s.sentence)  # the most likely sentence that holds it
    return ShortAnswer(g.text, float(p.max()), proof.sentence, proof.start, proof.end)
