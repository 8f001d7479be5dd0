"""Turn a follow-up question into a standalone query using the conversation so far.

Without an LLM we condense extractively: a follow-up that leans on the history (pronouns,
"and ...", very short questions) borrows the content words of the previous turn."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .keyword_index import stopwords

Turn = tuple[str, str]  # (role, text), role is "user" or "assistant"

_ANAPHORA = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then|"
    r"the same)\b|^\s*(and|but|so|also|what about|how about)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w'’-]+")


def needs_history(question: str) -> bool:
    content = [w for w in _WORD.findall(question.lower()) if w not in stopwords()]
    return bool(_ANAPHORA.search(question)) or len(content) <= 2


def condense(question: str, history: Sequence[Turn] | None) -> str:
    """The query to retrieve with: the question itself, or the question plus what the
    previous user turn (and the short part of its answer) was about."""
    if not history or not needs_history(question):
        return question
    last_user = next((t for r, t in reversed(history) if r == "user"), "")
    last_answer = next((t for r, t in reversed(history) if r == "assistant"), "")
    context_words: list[str] = []
    for text in (last_user, last_answer.split(". ")[0][:200]):
        for w in _WORD.findall(text):
            if w.lower() not in stopwords() and w not in context_words and not w.isdigit():
                context_words.append(w)
    return f"{question.strip()} ({' '.join(context_words[:16])})" if context_words else question
