"""Answer normalisation (SQuAD style: lower case, no punctuation, articles or extra spaces)."""

from __future__ import annotations

import re
import unicodedata

_PUNCT = re.compile(r"[^\w\s]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _PUNCT.sub(" ", text.replace("'s ", " ").replace("’s ", " "))
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(text: str, answers: list[str]) -> bool:
    """Is any gold answer (or alias), normalised, a whole-word run inside the text?"""
    hay = f" {normalize(text)} "
    return any(n and f" {n} " in hay for n in (normalize(a) for a in answers))


def exact_match(prediction: str | None, answers: list[str]) -> bool:
    """Is the prediction, normalised, one of the gold answers (SQuAD's exact match)? None never is."""
    return prediction is not None and normalize(prediction) in {normalize(a) for a in answers}
