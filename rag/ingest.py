"""Incremental ingestion: embed only new or changed articles, never duplicate a chunk."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from .loaders import content_hash
from .models import Article, Chunk, Failure, IngestReport
from .splitter import split_article
from .store import Store

ProgressFn = Callable[[int, int], None]
EmbedFn = Callable[[Sequence[str]], np.ndarray]


def article_digest(a: Article) -> str:
    # Metadata is part of the digest: a corrected title or date is an update too.
    return content_hash(f"{a.title}\x00{a.date}\x00{a.source}\x00{a.url}\x00{a.text}")


def ingest_articles(
    store: Store,
    embed: EmbedFn,
    items: Iterable[Article | Failure],
    *,
    progress: bool = True,
    on_progress: ProgressFn | None = None,
    batch_chunks: int = 256,
) -> IngestReport:
    """Add new articles, replace changed ones, skip unchanged ones (without splitting or
    embedding them). Failures are collected with their reason; nothing stored is lost."""
    t0 = time.perf_counter()
    cfg = store.config
    report = IngestReport()
    items = list(items)
    known = store.db.hashes()
    seen: set[str] = set()
    pending: list[tuple[Article, str, list[Chunk], bool]] = []

    def flush() -> None:
        texts = [c.text for _, _, chunks, _ in pending for c in chunks]
        vecs = embed(texts)
        i = 0
        for art, digest, chunks, replace in pending:
            store.put(art, digest, chunks, vecs[i : i + len(chunks)], replace)
            i += len(chunks)
            (report.updated if replace else report.added).append(art.id)
            known[art.id] = digest
        report.chunks_embedded += len(texts)
        pending.clear()

    bar = tqdm(total=len(items), unit="article", desc="ingest", disable=not progress)
    n_pending_chunks = 0
    for done, item in enumerate(items, 1):
        if isinstance(item, Failure):
            report.failed.append(item)
        else:
            if item.id in seen and pending:
                flush()  # the same id twice in one run: store the first before comparing
                n_pending_chunks = 0
            digest = article_digest(item)
            if known.get(item.id) == digest:
                if item.id not in seen:
                    report.unchanged.append(item.id)
            else:
                chunks = split_article(item, cfg.chunk_chars, cfg.chunk_overlap_sentences)
                if not chunks:
                    report.failed.append(Failure(path=item.path, reason=f"{item.id}: no sentences"))
                else:
                    pending.append((item, digest, chunks, item.id in known))
                    n_pending_chunks += len(chunks)
            seen.add(item.id)
        if n_pending_chunks >= batch_chunks:
            flush()
            n_pending_chunks = 0
        bar.update(1)
        bar.set_postfix(embedded=report.chunks_embedded, refresh=False)
        if on_progress:
            on_progress(done, len(items))
    if pending:
        flush()
    bar.close()
    if report.added or report.updated:
        store.rebuild_keywords()
    report.seconds = time.perf_counter() - t0
    return report


