"""Incremental ingestion: embed only new or changed articles, never duplicate a chunk.

Two stages run side by side: a producer thread compares digests and splits articles into
chunks, batch by batch, while the calling thread embeds and stores the batch before it; so
splitting stays off the critical path of embedding; the producer also gives each new or
changed article its story (rag.text.stories). Files are read up front (half a second for the
3,766 news articles), which gives the progress bar its total."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from rag.models import Article, ArticleRecord, Failure, IngestReport
from rag.store.guard import StoreError, unwritable
from rag.store.sentence_entities import pack as pack_entities
from rag.store.sentence_vectors import chunk_sentences, pack
from rag.store.store import Store
from rag.text.dating import dated
from rag.text.entities import ner
from rag.text.loaders import content_hash
from rag.text.splitter import split_article
from rag.text.stories import StoryIndex, StoryRow, signature

ProgressFn = Callable[[int, int | None], None]  # (done, total), the total None when not known
EmbedFn = Callable[[Sequence[str]], np.ndarray]


def article_digest(a: Article) -> str:
    # Metadata is part of the digest: a corrected title or date is an update too.
    return content_hash(f"{a.title}\x00{a.date}\x00{a.source}\x00{a.url}\x00{a.text}")


@dataclass(frozen=True)
class Pending:
    record: ArticleRecord  # its article's `story` found (rag.text.stories)
    replace: bool  # already stored: its old vectors go first
    signature: np.ndarray
    sentences: list[tuple[int, int]]  # to embed and store (rag.store.sentence_vectors); none when off


@dataclass
class Batch:
    """What the producer hands over: articles to embed, plus the outcome of the items it
    settled without embedding; `items` counts every input item the batch covers."""

    pending: list[Pending] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    items: int = 0
    # the pending articles' sentence entities, found by the producer while the last batch embeds
    entity_rows: list[tuple[str, str]] = field(default_factory=list)

    @property
    def n_chunks(self) -> int:
        return sum(len(p.record.chunks) for p in self.pending)


def story_index(store: Store) -> StoryIndex:
    """The stored articles' stories; those stored without one (before stories, or cut short)
    get theirs now, once (3.4 ms an article: 13 s for the 3,766 of 2022)."""
    index = StoryIndex(StoryRow(r.article_id, r.story or r.article_id, r.signature) for r in store.db.signatures())
    missing = store.db.unsigned()
    for i in range(0, len(missing), 500):
        found = []
        for article in store.db.get_many(missing[i : i + 500]).values():
            sig = signature(article.text)
            story = index.story_of(article.id, sig)
            index.add(article.id, story, sig)
            found.append(StoryRow(article.id, "" if story == article.id else story, sig))
        store.db.put_stories(found)
    return index


def plan_batches(
    store: Store, items: Iterable[Article | Failure], known: dict[str, str], batch_chunks: int, stories: StoryIndex
) -> Iterator[Batch]:
    """Split what is new or changed into batches of about `batch_chunks` chunks. `known`
    (id -> digest) is updated as if each batch were already stored, which is what the
    consumer does before it reads the next one."""
    cfg = store.config
    batch = Batch()
    in_batch: set[str] = set()
    seen: set[str] = set()
    for item in items:
        if isinstance(item, Failure):
            batch.failed.append(item)
        else:
            item = dated(item)  # an API caller's article too (the loaders' are dated already)
            if item.id in in_batch:  # the same id twice: store the first before comparing
                yield batch
                batch, in_batch = Batch(), set()
            try:
                digest = article_digest(item)
                chunks = (
                    []
                    if known.get(item.id) == digest
                    else split_article(item, cfg.chunk_chars, cfg.chunk_overlap_sentences)
                )
            except (ValueError, UnicodeError) as exc:  # one bad article fails alone
                batch.failed.append(Failure(path=item.path, reason=f"{item.id}: {exc}"))
                batch.items += 1
                continue
            if known.get(item.id) == digest:
                if item.id not in seen:
                    batch.unchanged.append(item.id)
            else:
                if not chunks:
                    batch.failed.append(Failure(path=item.path, reason=f"{item.id}: no sentences"))
                else:
                    sig = signature(item.text)
                    story = stories.story_of(item.id, sig)
                    stories.add(item.id, story, sig)
                    item = item.model_copy(update={"story": "" if story == item.id else story})
                    sentences = (
                        chunk_sentences(chunks) if store.keeps_sentence_vectors or store.keeps_sentence_entities else []
                    )
                    record = ArticleRecord(item, digest, tuple(chunks))
                    batch.pending.append(Pending(record, item.id in known, sig, sentences))
                    in_batch.add(item.id)
                    known[item.id] = digest
            seen.add(item.id)
        batch.items += 1
        if batch.n_chunks >= batch_chunks:
            yield _with_entities(store, batch)
            batch, in_batch = Batch(), set()
    if batch.items:
        yield _with_entities(store, batch)


def _with_entities(store: Store, batch: Batch) -> Batch:
    if store.keeps_sentence_entities and batch.pending:
        batch.entity_rows = _entity_rows(
            [p.record.article for p in batch.pending], [p.sentences for p in batch.pending]
        )
    return batch


def _produce(batches: Iterator[Batch], out: queue.Queue[Batch | BaseException | None], stop: threading.Event) -> None:
    def send(x: Batch | BaseException | None) -> bool:
        while not stop.is_set():  # the consumer may have given up: never block forever
            try:
                out.put(x, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        for b in batches:
            if not send(b):
                return
        send(None)
    except BaseException as exc:  # noqa: BLE001 (anything, even KeyboardInterrupt, is handed to the consumer, which raises it)
        send(exc)


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
    embedding them). Failures are collected with their reason; nothing stored is lost.
    Holds the store's write lock throughout (a second writer waits, then refuses)."""
    with store.writing():
        return _ingest(store, embed, items, progress=progress, on_progress=on_progress, batch_chunks=batch_chunks)


def embed_bounded(embed: EmbedFn, texts: Sequence[str], batch: int) -> np.ndarray:
    """One long article can be thousands of chunks: embed them `batch` at a time."""
    if len(texts) <= batch:
        return embed(texts)
    return np.concatenate([embed(texts[i : i + batch]) for i in range(0, len(texts), batch)])


# An article's sentences are embedded on their own, this many at a time, whatever the batch size:
# the embedder sorts a call's texts by length and pads each group of 4 to its longest, and in bf16
# a vector moves with its padding (enough to flip which sentence an answer quotes second). So a
# sentence's stored vector must not depend on the articles it was ingested beside: a store
# mended after a crash (fill_sentence_vectors) answers like one built in one go (tests/test_crash.py).
SENTENCE_CALL = 256


def _sentence_rows(
    embed: EmbedFn, articles: Sequence[Article], sentences: Sequence[Sequence[tuple[int, int]]]
) -> Iterator[tuple[str, bytes, bytes, bytes]]:
    """Each article's stored row: its sentences embedded in calls of their own."""
    for a, spans in zip(articles, sentences, strict=True):
        texts = [a.text[s:e] for s, e in spans]
        vectors = embed_bounded(embed, texts, SENTENCE_CALL) if texts else np.zeros((0, 0), np.float32)
        yield (a.id, *pack(spans, vectors))


def _stored_sentences(
    store: Store, ids: Sequence[str], desc: str, *, progress: bool
) -> Iterator[tuple[list[Article], list[list[tuple[int, int]]]]]:
    """Stored articles, 100 at a time, each with its sentences' spans as ingest finds them (what the
    fills below add rows for), under a progress bar."""
    with tqdm(total=len(ids), unit="article", desc=desc, disable=not progress or not ids) as bar:
        for i in range(0, len(ids), 100):
            articles = list(store.db.get_many(ids[i : i + 100]).values())
            yield articles, [chunk_sentences(store.db.chunks_of(a)) for a in articles]
            bar.update(len(articles))


def fill_sentence_vectors(store: Store, embed: EmbedFn, *, progress: bool) -> int:
    """Embed and store the sentences of the stored articles that lack them; how many articles.
    Once per store (made before sentence vectors, or with them off): ~as long as its first ingest."""
    missing = store.db.without_sentence_vectors()
    for articles, sentences in _stored_sentences(store, missing, "sentence vectors", progress=progress):
        store.db.put_sentence_vectors(list(_sentence_rows(embed, articles, sentences)))
    return len(missing)


def _entity_rows(articles: Sequence[Article], sentences: Sequence[Sequence[tuple[int, int]]]) -> list[tuple[str, str]]:
    """Each article's stored entities row: NER over all their sentences at once; none without spaCy."""
    found = ner([a.text[s:e] for a, spans in zip(articles, sentences, strict=True) for s, e in spans])
    if found is None:
        return []
    rows, at = [], 0
    for a, spans in zip(articles, sentences, strict=True):
        rows.append((a.id, pack_entities(spans, found[at : at + len(spans)])))
        at += len(spans)
    return rows


def fill_sentence_entities(store: Store, *, progress: bool) -> int:
    """Find and store the entities of the stored articles' sentences where they lack them; how many
    articles. Once per store (made before them, or with them off): ~3 ms a sentence here."""
    missing = store.db.without_sentence_entities()
    for articles, sentences in _stored_sentences(store, missing, "sentence entities", progress=progress):
        rows = _entity_rows(articles, sentences)
        if not rows:  # no spaCy: nothing to store
            return 0
        store.db.put_sentence_entities(rows)
    return len(missing)


def _ingest(
    store: Store,
    embed: EmbedFn,
    items: Iterable[Article | Failure],
    *,
    progress: bool,
    on_progress: ProgressFn | None,
    batch_chunks: int,
) -> IngestReport:
    t0 = time.perf_counter()
    report = IngestReport()
    if store.keeps_sentence_vectors:  # a store made before them, or an ingest cut short
        fill_sentence_vectors(store, embed, progress=progress)
    if store.keeps_sentence_entities:
        fill_sentence_entities(store, progress=progress)
    # Streamed, not listed: a file of many records is stored batch by batch, with progress from
    # the first one (`list(items)` held 5 million records, 6.8 GB, before the first batch).
    total = len(items) if isinstance(items, Sized) else None
    # Two batches ahead at most: enough to hide splitting, little memory.
    handoff: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()
    producer = threading.Thread(
        target=_produce,
        name="ingest-split",
        daemon=True,
        args=(plan_batches(store, items, store.db.hashes(), batch_chunks, story_index(store)), handoff, stop),
    )
    producer.start()
    bar = tqdm(total=total, unit="article", desc="ingest", disable=not progress)
    done = 0
    try:
        while (batch := handoff.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            if batch.pending:
                records = [p.record for p in batch.pending]
                texts = [c.text for r in records for c in r.chunks]
                vectors = embed_bounded(embed, texts, batch_chunks)
                sentence_rows = (
                    list(_sentence_rows(embed, [r.article for r in records], [p.sentences for p in batch.pending]))
                    if store.keeps_sentence_vectors
                    else []
                )
                try:
                    replacing = {p.record.article.id for p in batch.pending if p.replace}
                    store.put_many(records, vectors, replacing)
                    # after the articles: one cut short between is signed (and its sentences
                    # embedded) by the next ingest
                    store.db.put_stories(
                        StoryRow(p.record.article.id, p.record.article.story, p.signature) for p in batch.pending
                    )
                    if sentence_rows:
                        store.db.put_sentence_vectors(sentence_rows)
                    if batch.entity_rows:
                        store.db.put_sentence_entities(batch.entity_rows)
                except Exception as exc:
                    if (path := unwritable(store.folder)) is None:
                        raise
                    # SQLite's and Chroma's own errors ("attempt to write a readonly database")
                    # come with ~190 lines of traceback and say nothing of what to do.
                    stored = len(report.added) + len(report.updated)
                    raise StoreError(
                        f"the store {store.folder} became read-only during the ingest ({path} can't be "
                        f"written): stopped; the {stored} articles stored before are kept. Make it "
                        "writable again, run `rag check --repair`, then ingest again"
                    ) from exc
                for p in batch.pending:
                    (report.updated if p.replace else report.added).append(p.record.article.id)
                report.chunks_embedded += len(texts)
            report.unchanged.extend(batch.unchanged)
            report.failed.extend(batch.failed)
            bar.update(batch.items)
            bar.set_postfix(embedded=report.chunks_embedded, refresh=False)
            if on_progress:
                for _ in range(batch.items):
                    done += 1
                    on_progress(done, total)
    finally:
        stop.set()
        producer.join()
        bar.close()
    # also when an earlier run was killed before its rebuild: the next ingest completes it
    if report.added or report.updated or store.keywords_stale():
        store.rebuild_keywords()
    report.seconds = time.perf_counter() - t0
    return report
