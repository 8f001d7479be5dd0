"""A small slice of one benchmark year for the training and tuning tests: the first answerable
questions and a real store of the articles they came with."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from rag import Article, Engine
from rag.text.loaders import load_paths


def year_slice(data: Path, store: Path, n: int) -> Path:
    """A store at `store` of the articles of the first `n` answerable questions in `data` (a year's
    folder of the benchmark); returns the file of those questions, beside the store."""
    rows = [json.loads(line) for line in (data / "questions.jsonl").read_text().splitlines() if line.strip()]
    qs = [r for r in rows if r.get("answer_in_corpus")][:n]
    wanted = {a for r in qs for a in r["supporting_articles"]}
    questions, articles = store.with_name(f"{store.name}-q.jsonl"), store.with_name(f"{store.name}-a.jsonl")
    questions.write_text("".join(json.dumps(r) + "\n" for r in qs))
    with gzip.open(data / "articles.jsonl.gz", "rt") as f, articles.open("w") as out:
        out.writelines(line for line in f if json.loads(line)["id"] in wanted)
    with Engine(store=store) as eng:
        eng.ingest_articles([a for a in load_paths([articles]) if isinstance(a, Article)], progress=False)
    return questions
