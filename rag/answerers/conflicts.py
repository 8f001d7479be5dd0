"""Notice when the best sentences of different articles disagree on the answer.

Sources disagree when two strong sentences from *different* articles say nearly the same thing
but swap a name, number or date ("... at Raymond James Stadium in Tampa" vs "... in Glendale").
Only short swaps count, of words that are names/numbers/dates mid-sentence (not a capitalised
sentence opener), and not spelling variants of each other."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.config import RagConfig
from rag.models import Citation
from rag.text.analyzer import stopwords

if TYPE_CHECKING:
    from rag.answerers.extractive import Candidate

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
        return f"Sources disagree: \u201c{self.a_value}\u201d [{na}] vs. \u201c{self.b_value}\u201d [{nb}]."


def _is_anchor(tokens: list[re.Match[str]], i: int) -> bool:
    """A number, or a capitalised word that is neither a stop word nor the sentence's first."""
    w = tokens[i].group()
    if w[0].isdigit():
        return True
    return (
        bool(_ANCHOR.match(w))
        and i > 0
        and w.lower() not in stopwords()
        and tokens[i - 1].group() not in {".", "!", "?", "\u201c", '"', ":"}
    )


def _swap_clash(
    ma: list[re.Match[str]], mb: list[re.Match[str]], sm: difflib.SequenceMatcher[str], a: str, b: str, cfg: RagConfig
) -> tuple[str, str] | None:
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
        if not (0 < i2 - i1 <= cfg.conflict_max_swap_words and 0 < j2 - j1 <= cfg.conflict_max_swap_words):
            continue  # a rewording, not a swapped fact
        if not (any(_is_anchor(ma, i) for i in range(i1, i2)) and any(_is_anchor(mb, j) for j in range(j1, j2))):
            continue
        # the differing words, verbatim, as each sentence has them
        va, vb = a[ma[i1].start() : ma[i2 - 1].end()], b[mb[j1].start() : mb[j2 - 1].end()]
        if difflib.SequenceMatcher(None, va.lower(), vb.lower()).ratio() < cfg.conflict_variant_similarity:
            return va, vb
    return None


def _clash(a: Candidate, b: Candidate, cfg: RagConfig) -> tuple[str, str] | None:
    ma, mb = list(_TOKEN.finditer(a.text)), list(_TOKEN.finditer(b.text))
    sm = difflib.SequenceMatcher(None, [m.group().lower() for m in ma], [m.group().lower() for m in mb], autojunk=False)
    if sm.ratio() < cfg.conflict_min_similarity:  # not the same statement
        return None
    return _swap_clash(ma, mb, sm, a.text, b.text, cfg)


def find_conflict(ranked: list[Candidate], config: RagConfig) -> Conflict | None:
    """The first pair among the `conflict_top` sentences scoring within `conflict_window` of the
    best that come from different articles and give different answers; None when they agree."""
    if not ranked:
        return None
    best = max(c.score for c in ranked)  # the reader's best (the answer-first order may lead with another)
    strong = [c for c in ranked[: config.conflict_top] if c.score >= config.conflict_window * best]
    for i, a in enumerate(strong):
        for b in strong[i + 1 :]:
            if a.article.id == b.article.id:
                continue
            clash = _clash(a, b, config)
            if clash:
                return Conflict(a, clash[0], b, clash[1])
    return None
