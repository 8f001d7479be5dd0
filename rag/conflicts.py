"""Notice when the best sentences of different articles disagree on the answer.

Two ways sources disagree: (1) the question asks for a name/number/date and the short answers
pulled from two strong sentences differ; (2) two strong sentences say nearly the same thing but
swap a name, number or date ("... at Raymond James Stadium in Tampa" vs "... in Glendale").
Both are checked only between sentences of *different* articles scoring close to the best one."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .keyword_index import stopwords
from .models import Citation
from .short_answer import extract

if TYPE_CHECKING:
    from .answerer import Candidate

_TOKEN = re.compile(r"[\w'’.-]*\w|\S")
_ANCHOR = re.compile(r"^(?:[A-Z]|\d)")  # a name, number or year starts this way


@dataclass(frozen=True)
class Conflict:
    """Two sentences from different articles that give different answers."""

    a: Candidate
    a_value: str
    b: Candidate
    b_value: str

    def cited(self, chosen: list[Candidate]) -> list[Candidate]:
        """The chosen sentences plus whichever side of the disagreement is missing."""
        keys = {(c.article.id, c.start) for c in chosen}
        extra = [c for c in (self.a, self.b) if (c.article.id, c.start) not in keys]
        return chosen + extra

    def notice(self, citations: list[Citation]) -> str:
        n = {(c.article_id, c.start): c.n for c in citations}
        na, nb = n.get((self.a.article.id, self.a.start)), n.get((self.b.article.id, self.b.start))
        return (f"Sources disagree: \u201c{self.a_value}\u201d [{na}] vs. "
                f"\u201c{self.b_value}\u201d [{nb}].")


def _norm_words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if w not in stopwords()}


def _short_answer_clash(question: str, a: Candidate, b: Candidate) -> tuple[str, str] | None:
    sa, sb = extract(question, a.text), extract(question, b.text)
    if not sa or not sb:
        return None
    wa, wb = _norm_words(sa), _norm_words(sb)
    if wa and wb and not wa & _norm_words(b.text) and not wb & _norm_words(a.text):
        return sa, sb  # each sentence names its own answer and never mentions the other's
    return None


def _swap_clash(ma: list[re.Match[str]], mb: list[re.Match[str]], sm: difflib.SequenceMatcher[str],
                a: str, b: str) -> tuple[str, str] | None:
    """The first run of differing words (short equal gaps, like a comma, bridged) that holds a
    name, number or date on both sides."""
    ops = [op for op in sm.get_opcodes() if op[0] != "equal"]
    groups: list[list[int]] = []
    for _, i1, i2, j1, j2 in ops:
        if groups and i1 - groups[-1][1] <= 2 and j1 - groups[-1][3] <= 2:
            groups[-1][1], groups[-1][3] = i2, j2
        else:
            groups.append([i1, i2, j1, j2])
    for i1, i2, j1, j2 in groups:
        left, right = ma[i1:i2], mb[j1:j2]
        if any(_ANCHOR.match(m.group()) for m in left) and any(_ANCHOR.match(m.group()) for m in right):
            # the differing words, verbatim, as each sentence has them
            return a[left[0].start() : left[-1].end()], b[right[0].start() : right[-1].end()]
    return None


def _clash(question: str, a: Candidate, b: Candidate, min_ratio: float) -> tuple[str, str] | None:
    ma, mb = list(_TOKEN.finditer(a.text)), list(_TOKEN.finditer(b.text))
    sm = difflib.SequenceMatcher(None, [m.group().lower() for m in ma], [m.group().lower() for m in mb],
                                 autojunk=False)
    ratio = sm.ratio()
    if ratio >= min_ratio:  # the same statement with something swapped
        return _swap_clash(ma, mb, sm, a.text, b.text)
    if ratio >= min_ratio / 2:  # related statements naming different answers
        return _short_answer_clash(question, a, b)
    return None


def find_conflict(question: str, ranked: list[Candidate], *, window: float = 0.9, top: int = 6,
                  min_ratio: float = 0.6) -> Conflict | None:
    """The first pair among the `top` sentences scoring within `window` of the best that
    come from different articles and give different answers; None when they agree."""
    if not ranked:
        return None
    strong = [c for c in ranked[:top] if c.score >= window * ranked[0].score]
    for i, a in enumerate(strong):
        for b in strong[i + 1 :]:
            if a.article.id == b.article.id:
                continue
            clash = _clash(question, a, b, min_ratio)
            if clash:
                return Conflict(a, clash[0], b, clash[1])
    return None
