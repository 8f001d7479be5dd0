"""Turn a follow-up question into a standalone query using the conversation so far.

Without an LLM we condense extractively: a follow-up that leans on the history (pronouns,
"and ...", very short questions) borrows the content words of the turns it leans on. One that
names its own subject ("And where did Assad go?") stands alone; "What about X?" borrows only what
was asked before, not whom it was about."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.models import REFUSAL_START
from rag.text.analyzer import stopwords

Turn = tuple[str, str]  # (role, text), role is "user" or "assistant"

_PRONOUN = re.compile(
    r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then|"
    r"the same)\b",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^\s*(and|but|so|also|what about|how about)\b", re.IGNORECASE)
# "What about Assange?": the previous question, asked about someone else.
_SWITCH = re.compile(r"^\s*(and\s+)?(what|how)\s+about\b", re.IGNORECASE)
_WORD = re.compile(r"[\w'’-]+")
MAX_BORROWED_WORDS = 16
MAX_USER_TURNS = 3  # how far back a chain of follow-ups may lean


def needs_history(question: str) -> bool:
    content = [w for w in _WORD.findall(question.lower()) if w not in stopwords()]
    return bool(_PRONOUN.search(question) or _LEAD.search(question)) or len(content) <= 2


def own_names(question: str) -> list[str]:
    """Capitalised content words after the first word: the names a question brings itself."""
    return [w for w in _WORD.findall(question)[1:] if w[:1].isupper() and w.lower() not in stopwords()]


def _topic_texts(history: Sequence[Turn]) -> list[str]:
    """The texts a follow-up leans on, newest first: the previous user turn with the gist of its
    answer (the part before the first full stop), and, while those user turns were follow-ups
    themselves, the turns before them ("who reported it?" -> "and when?" keeps the first topic)."""
    texts: list[str] = []
    answer = ""
    users = 0
    for role, text in reversed(history):
        if role == "assistant":
            answer = "" if text.startswith(REFUSAL_START) else text.split(". ")[0][:200]
            continue
        if role != "user":
            continue
        texts += [text, answer]
        answer = ""
        users += 1
        if users >= MAX_USER_TURNS or not needs_history(text):
            break
    return texts


def checked_history(history: Sequence[object] | None, max_turns: int, max_chars: int) -> list[Turn]:
    """`history` as turns, or a ValueError that says what is wrong with it: each turn a
    [role, text] pair, role "user" or "assistant", within the limits."""
    if not history:
        return []
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        raise ValueError("the history must be a list of [role, text] pairs")
    if len(history) > max_turns:
        raise ValueError(f"the history has {len(history):,} turns; at most {max_turns:,}: start a new conversation")
    turns: list[Turn] = []
    for i, turn in enumerate(history, 1):
        if isinstance(turn, str | bytes) or not isinstance(turn, Sequence) or len(turn) != 2:
            raise ValueError(f"history turn {i} is not a [role, text] pair: {str(turn)[:60]!r}")
        role, text = turn
        if role not in ("user", "assistant") or not isinstance(text, str):
            raise ValueError(f"history turn {i}: the role must be 'user' or 'assistant' and the text a string")
        if len(text) > max_chars:
            raise ValueError(f"history turn {i} is {len(text):,} characters; at most {max_chars:,}")
        turns.append((role, text))
    return turns


def condense(question: str, history: Sequence[Turn] | None) -> str:
    """The query to retrieve with: the question itself, or the question plus the content words
    of what the conversation was about."""
    if not history or not needs_history(question):
        return question
    texts = _topic_texts(history)
    names = own_names(question)
    if names and not _PRONOUN.search(question):
        if not _SWITCH.search(question) and len(_WORD.findall(question)) > len(names) + 1:
            return question  # "And where did Assad go?" names its own subject
        # "What about Assange?": keep what was asked, not whom it was about or the answer.
        texts = [" ".join(w for w in _WORD.findall(texts[0]) if not w[:1].isupper())] if texts else []
    context_words: list[str] = []
    seen: set[str] = {w.lower() for w in _WORD.findall(question)}
    for text in texts:
        for w in _WORD.findall(text):
            if w.lower() not in stopwords() and w.lower() not in seen and not w.isdigit():
                seen.add(w.lower())
                context_words.append(w)
    words = context_words[:MAX_BORROWED_WORDS]
    return f"{question.strip()} ({' '.join(words)})" if words else question
