"""The answerer contract: turn what `Engine.retrieve` found into a cited `Answer`.

Every answerer owns its refusal and its handling of disagreeing sources; `Engine.ask` only
retrieves and hands over. `stream` yields text as it is produced, then the final `Answer`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from rag.models import REFUSAL_START, Answer, Retrieval, refusal_text

__all__ = ["REFUSAL_START", "Answerer", "refusal", "refusal_text"]


def refusal(r: Retrieval, backend: str, *, support: float = 0.0, note: str = "") -> Answer:
    text = refusal_text(r.question) + (f" {note}" if note else "")
    return Answer(question=r.question, answer=text, refused=True, support=support, query=r.query, backend=backend)


@runtime_checkable
class Answerer(Protocol):
    name: str

    def answer(self, retrieval: Retrieval) -> Answer:
        """The cited answer (or a refusal) for what was retrieved."""
        ...

    def stream(self, retrieval: Retrieval) -> Iterator[str | Answer]:
        """Text pieces as they are produced, then the final, verified `Answer` last."""
        ...
