"""Load the eval sets as `EvalQuestion`s: the hand-written seed set, any questions file in the
news-benchmark schema, and the RGB counterfactual set (four conditions per query)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from rag import Article, Filters

from .records import EvalQuestion

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]  # the repository (rag/eval/ is two folders down)
SEED_QUESTIONS = HERE / "seed_questions.jsonl"
SEEDS = ROOT / "seeds"
# The shared benchmark data: beside the repository, never copied into it. The one place its
# path is spelled (eval, bench and the tests read it from here).
DATA = ROOT.parent / "shared" / "data"
NEWS_QUESTIONS = DATA / "news" / "questions.jsonl"
NEWS_ARTICLES = DATA / "news" / "articles.jsonl.gz"
RGB = DATA / "rgb" / "en_fact.jsonl"
# The benchmark years, each with its own articles and questions (the 2022 weeks are `news/`).
NEWS_YEARS: dict[str, Path] = {
    "news-2022": DATA / "news",
    "news-2023": DATA / "news-2023",
    "news-2024": DATA / "news-2024",
}


def data_missing(path: Path) -> str:
    """Why a benchmark run or test can't go on: what is missing, where it belongs."""
    return f"benchmark data not found at {path} (it lives in {DATA}, beside the repository: docs/ARCHITECTURE.md)"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found")
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{i}: not JSON ({exc.msg})") from None
    return rows


def seed_questions(article_ids: dict[str, str], path: Path = SEED_QUESTIONS) -> list[EvalQuestion]:
    """`article_ids` maps a seed file name to the id the store gave its article."""
    return [
        EvalQuestion(
            id=r["id"],
            question=r["question"],
            answers=r["answers"],
            answerable=r["answerable"],
            gold_sentence=r.get("gold_sentence"),
            gold_articles=[article_ids[r["gold_file"]]] if r.get("gold_file") in article_ids else [],
        )
        for r in read_jsonl(path)
    ]


def news_questions(
    path: Path = NEWS_QUESTIONS, limit: int | None = None, only_in_corpus: bool = True
) -> list[EvalQuestion]:
    """Questions in the RealTime QA schema; `as_of` bounds what the engine may read."""
    out = []
    for i, r in enumerate(read_jsonl(path), 1):
        missing = {"id", "question", "answer"} - r.keys()
        if missing:
            raise ValueError(f"{path}:{i}: missing field(s) {sorted(missing)}")
        if only_in_corpus and not r.get("answer_in_corpus", True):
            continue
        answers = r["answer"] if isinstance(r["answer"], list) else [r["answer"]]
        out.append(
            EvalQuestion(
                id=str(r["id"]),
                question=r["question"],
                answers=[str(a) for a in answers],
                gold_articles=list(r.get("supporting_articles") or []),
                as_of=dt.date.fromisoformat(r["as_of"]) if r.get("as_of") else None,
            )
        )
    return out[:limit] if limit else out


def _aliases(answer: Any) -> list[str]:
    """RGB answers are a string, a list, or a list of lists of aliases: flatten them."""
    if isinstance(answer, str):
        return [answer]
    out: list[str] = []
    for a in answer:
        out += _aliases(a)
    return out


# RGB conditions: which passage kinds the engine may read (by `Article.source`).
RGB_CONDITIONS = {
    "noise": ("positive", "negative"),  # (a) answer from positive passages despite noise
    "negative": ("negative",),  # (b) no answer in the passages: must refuse
    "counterfactual": ("positive_wrong", "negative"),  # (c) answer follows the (wrong) sources
    "conflict": ("positive", "positive_wrong"),  # (c) true and counterfactual: flag disagreement
}


def rgb_items(path: Path = RGB, limit: int | None = None) -> list[dict[str, Any]]:
    rows = read_jsonl(path)
    return rows[:limit] if limit else rows


def rgb_articles(item: dict[str, Any]) -> list[Article]:
    return [
        Article(id=f"rgb{item['id']}-{kind}-{i}", title=item["query"], source=kind, text=text)
        for kind in ("positive", "negative", "positive_wrong")
        for i, text in enumerate(item.get(kind) or [])
        if text.strip()
    ]


def rgb_questions(item: dict[str, Any]) -> list[EvalQuestion]:
    gold, fake = _aliases(item["answer"]), _aliases(item["fakeanswer"])
    positives = [f"rgb{item['id']}-positive-{i}" for i in range(len(item.get("positive") or []))]
    wrongs = [f"rgb{item['id']}-positive_wrong-{i}" for i in range(len(item.get("positive_wrong") or []))]
    answers = {"noise": gold, "negative": [], "counterfactual": fake, "conflict": gold + fake}
    golds = {"noise": positives, "negative": [], "counterfactual": wrongs, "conflict": positives + wrongs}
    return [
        EvalQuestion(
            id=f"rgb{item['id']}-{cond}",
            question=item["query"],
            answers=answers[cond],
            answerable=cond != "negative",
            gold_articles=golds[cond],
            filters=Filters(sources=kinds),
            category=cond,
            expect_conflict=cond == "conflict",
        )
        for cond, kinds in RGB_CONDITIONS.items()
    ]
