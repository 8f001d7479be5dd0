"""The answerer contract: turn what `Engine.retrieve` found into a cited `Answer`.

Every answerer owns its refusal and its handling of disagreeing sources; `Engine.ask` only
retrieves and hands over. `stream` yields text as it is produced, then the final `Answer`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from ..models import Answer, Retrieval

# A refusal carries no facts: the condenser recognises it by this start and borrows nothing.
REFUSAL_START = "The articles don't say"


def refusal_text(question: str) -> str:
    return (f"{REFUSAL_START}. Nothing in them answers \u201c{shorten(question.strip())}\u201d "
            "well enough to quote.")


def shorten(text: str, limit: int = 200) -> str:
    """A long question is echoed by its start only."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def refusal(r: Retrieval, backend: str, *, support: float = 0.0, note: str = "") -> Answer:
    text = refusal_text(r.question) + (f" {note}" if note else "")
    return Answer(question=r.question, answer=text, refused=True, support=support, query=r.query,
                  backend=backend)


@runtime_checkable
class Answerer(Protocol):
    name: str

    def answer(self, retrieval: Retrieval) -> Answer:
        """The cited answer (or a refusal) for what was retrieved."""
        ...

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final, verified `Answer` last."""
        ...

