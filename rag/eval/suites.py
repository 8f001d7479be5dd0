"""The three suites: seeds (the CI gate), news (RealTime QA over the news corpus) and RGB
(noise, negative-only, counterfactual and conflicting passages). Each returns records."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rag import Article, Embedder, Engine, RagConfig, get_answerer, get_embedder, load_paths

from . import datasets
from .records import Record
from .runner import run_questions

Say = Callable[[str], None]


def _embedder(cfg: RagConfig) -> Embedder:
    return get_embedder(cfg.embed_backend, cfg.device, cfg.embed_batch_size, cfg.model_cache)


def seeds(
    workdir: Path,
    *,
    config: RagConfig | None = None,
    store: Path | None = None,
    questions: Path | None = None,
    limit: int | None = None,
    progress: bool = True,
    say: Say = print,
) -> list[Record]:
    cfg = config or RagConfig()
    loaded = [a for a in load_paths([datasets.SEEDS]) if isinstance(a, Article)]
    ids = {Path(a.path).name: a.id for a in loaded}
    qs = datasets.seed_questions(ids, questions or datasets.SEED_QUESTIONS)[:limit]
    with Engine(store=store or workdir / "store", config=cfg, embedder=_embedder(cfg)) as eng:
        say(eng.ingest_articles(loaded, progress=False).summary())
        return run_questions(eng, qs, progress=progress, label="seeds")


def news_articles(ids: set[str], path: Path = datasets.NEWS_ARTICLES) -> list[Article]:
    return [a for a in load_paths([path]) if isinstance(a, Article) and a.id in ids]


def news(
    workdir: Path,
    *,
    config: RagConfig | None = None,
    store: Path | None = None,
    questions: Path | None = None,
    limit: int | None = None,
    progress: bool = True,
    say: Say = print,
) -> list[Record]:
    """With `store`, reuse that store (e.g. the whole corpus); without, build a small one in
    `workdir` from the articles the selected questions cite."""
    cfg = config or RagConfig()
    qs = datasets.news_questions(questions or datasets.NEWS_QUESTIONS, limit=limit)
    if not qs:
        raise ValueError("no questions to score (none has answer_in_corpus: true)")
    with Engine(store=store or workdir / "store", config=cfg, embedder=_embedder(cfg)) as eng:
        if store is None:
            wanted = {a for q in qs for a in q.gold_articles}
            arts = news_articles(wanted)
            say(f"building a store of the {len(arts)} articles these {len(qs)} questions cite")
            say(eng.ingest_articles(arts, progress=progress).summary())
        elif eng.stats().articles == 0:
            raise ValueError(f"the store {store} has no articles")
        return run_questions(eng, qs, progress=progress, label="news")


def rgb(
    workdir: Path,
    *,
    config: RagConfig | None = None,
    store: Path | None = None,
    questions: Path | None = None,
    limit: int | None = None,
    progress: bool = True,
    say: Say = print,
    conditions: tuple[str, ...] = tuple(datasets.RGB_CONDITIONS),
) -> list[Record]:
    """One small store per RGB query (its passages, `source` = passage kind); each condition
    restricts retrieval to some passage kinds with a source filter."""
    cfg = config or RagConfig()
    shared = _embedder(cfg)
    answerer = get_answerer(cfg, shared)  # one model for every per-query store, loaded once
    items = datasets.rgb_items(questions or datasets.RGB, limit=limit)
    records: list[Record] = []
    bar: Iterable[dict[str, Any]] = items
    if progress:
        from tqdm import tqdm

        bar = tqdm(items, desc="rgb", unit="query")
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for item in bar:
            with Engine(store=Path(tmp) / f"q{item['id']}", config=cfg, embedder=shared, answerer=answerer) as eng:
                eng.ingest_articles(datasets.rgb_articles(item), progress=False)
                qs = [q for q in datasets.rgb_questions(item) if q.category in conditions]
                records += run_questions(eng, qs, progress=False)
    return records


SUITES: dict[str, Callable[..., list[Record]]] = {"seeds": seeds, "news": news, "rgb": rgb}
