"""`rag check`: do the store's three parts agree, and mend them when asked.

Checked: every complete article's chunks are in the vectors and the keyword index exactly once
(and nothing else is: no orphan ids), every chunk span lies inside its article and is what the
splitter makes of it now (so the text embedded was `text[start:end]`), no article is left
half-written, and the store was made with the embedding model that is loaded.

Repair re-splits and re-embeds every article that is half-written or whose vectors are
missing or wrong (SQLite keeps the whole text, so nothing is lost), deletes orphan vectors,
and rebuilds the keyword index from the article texts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.models import ArticleRecord
from rag.store.store import EMBED_MODEL, Store
from rag.text.splitter import split_article

EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        c = self.counts
        lines = [
            (
                f"articles {c.get('articles', 0)}, chunks {c.get('chunks', 0)}, vectors "
                f"{c.get('vectors', 0)}, keyword index {c.get('keywords', 0)}"
            )
        ]
        lines += [f"repaired: {r}" for r in self.repaired]
        lines += [f"problem: {p}" for p in self.problems]
        lines.append("ok" if self.ok else "the store has problems: `rag check --repair` mends them")
        return "\n".join(lines)


def _few(ids: Sequence[str] | set[str], n: int = 3) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")


@dataclass
class _Findings:
    report: CheckReport
    redo: set[str]  # articles to re-split and re-embed
    orphans: dict[str, str]  # vector ids that belong to no chunk -> the article they are labelled with
    keywords_bad: bool
    model_missing: bool


def _inspect(store: Store, deep: bool, dim: int | None) -> _Findings:
    rep = CheckReport()
    db = store.db
    incomplete = set(db.incomplete())
    chunks: dict[str, str] = {}  # complete articles' chunk id -> article id
    by_article: dict[str, set[str]] = defaultdict(set)
    all_chunk_ids: set[str] = set()
    bad_span: set[str] = set()
    for cid, aid, start, end, length in db.all_spans():
        all_chunk_ids.add(cid)
        if not 0 <= start < end <= length:
            bad_span.add(aid)
        if aid not in incomplete:
            chunks[cid] = aid
            by_article[aid].add(cid)
    stats = db.stats()
    rep.counts = {"articles": stats.articles, "chunks": len(chunks)}
    if incomplete:
        rep.problems.append(f"{len(incomplete)} half-written article(s) (interrupted ingest): {_few(incomplete)}")
    if bad_span:
        rep.problems.append(f"{len(bad_span)} article(s) with chunk spans outside their text: {_few(bad_span)}")
    resplit: set[str] = set()
    if deep:
        cfg = store.config
        for aid, art in db.get_many(by_article).items():
            fresh = {c.id for c in split_article(art, cfg.chunk_chars, cfg.chunk_overlap_sentences)}
            if fresh != by_article[aid]:
                resplit.add(aid)
        if resplit:
            rep.problems.append(
                f"{len(resplit)} article(s) whose stored chunks differ from their text split now: {_few(resplit)}"
            )

    vecs = store.vectors.all_ids()
    rep.counts["vectors"] = len(vecs)
    missing = set(chunks) - set(vecs)
    orphans = {cid: vecs[cid] for cid in sorted(set(vecs) - all_chunk_ids)}
    wrong = {aid for cid, aid in chunks.items() if cid in vecs and vecs[cid] != aid}
    if missing:
        rep.problems.append(
            f"{len(missing)} chunk(s) have no vector, in "
            f"{len({chunks[c] for c in missing})} article(s): {_few({chunks[c] for c in missing})}"
        )
    if orphans:
        rep.problems.append(f"{len(orphans)} vector(s) belong to no stored chunk: {_few(list(orphans))}")
    if wrong:
        rep.problems.append(f"{len(wrong)} article(s) with vectors labelled for another article")

    index, built = store.load_keywords()
    ids = index.ids if index is not None else []
    rep.counts["keywords"] = len(ids)
    keywords_bad = True
    if index is None and not chunks:
        keywords_bad = False  # an empty store needs none
    elif index is None:
        rep.problems.append("the keyword index is missing or unreadable")
    elif len(ids) != len(set(ids)):
        rep.problems.append(f"the keyword index holds {len(ids) - len(set(ids))} duplicate chunk(s)")
    elif set(ids) != set(chunks):
        rep.problems.append(
            f"the keyword index disagrees with the articles: {len(set(chunks) - set(ids))} "
            f"chunk(s) missing, {len(set(ids) - set(chunks))} unknown"
        )
    else:
        keywords_bad = False
        if built != db.generation():  # same chunks, older stamp: harmless, refreshed on repair
            keywords_bad = True

    recorded = db.meta("embed_model")
    name = recorded.split("/")[0] if recorded else None
    if name is not None and name != EMBED_MODEL:
        rep.problems.append(
            f"the store was made with the embedding model {name}, but {EMBED_MODEL} is loaded: ingest into a new store"
        )
    if recorded and dim is not None and recorded != f"{EMBED_MODEL}/{dim}":
        rep.problems.append(f"the store's vectors are {recorded}, the loaded embedder makes {dim}-d vectors")
    redo = incomplete | bad_span | resplit | {chunks[c] for c in missing} | wrong
    return _Findings(rep, redo, orphans, keywords_bad, recorded is None and bool(chunks))


def check_store(
    store: Store, *, embed: EmbedFn | None = None, dim: int | None = None, repair: bool = False, deep: bool = True
) -> CheckReport:
    """Inspect the store; with `repair`, mend it (under the write lock) and inspect again."""
    if store.server is not None:  # a replica: compare with what the server holds now
        from rag.store.replica import follow

        if follow(store):
            store.rebuild_keywords()
    if not repair:
        if store.read_only:  # nobody can be writing it from here
            store.sync()
            return _inspect(store, deep, dim).report
        # Under the write lock: a check beside a running ingest saw its newest vectors before their
        # articles' rows and reported 1,536 "orphans". It waits for the writer (`lock_wait_s`),
        # then says the store is busy.
        with store.writing():
            return _inspect(store, deep, dim).report
    with store.writing():
        found = _inspect(store, deep, dim)
        done: list[str] = []
        orphans = list(found.orphans)
        if store.server is not None:  # vectors of an article on the server are another replica's, mid-write
            live = set(store.server.hashes())
            orphans = [cid for cid in orphans if found.orphans[cid] not in live]
        if orphans:
            store.vectors.delete_ids(orphans)
            done.append(f"deleted {len(orphans)} orphan vector(s)")
        if found.redo:
            if embed is None:
                raise ValueError("repairing articles needs the embedding model")
            redone, dropped = _redo(store, sorted(found.redo), embed)
            if redone:
                done.append(f"re-embedded {len(redone)} article(s): {_few(redone)}")
            if dropped:
                done.append(f"removed {len(dropped)} article(s) with no sentences left: {_few(dropped)}")
        if found.model_missing:
            store.db.set_meta("embed_model", f"{EMBED_MODEL}/{dim}" if dim else EMBED_MODEL)
            done.append("recorded the embedding model")
        if found.keywords_bad or found.redo or found.orphans:
            store.rebuild_keywords()
            done.append("rebuilt the keyword index from the articles")
        after = _inspect(store, deep, dim).report
        after.repaired = done
        return after


def _redo(store: Store, ids: list[str], embed: EmbedFn) -> tuple[list[str], list[str]]:
    """Re-split and re-embed articles from their stored text, through the normal write path."""
    cfg = store.config
    digests = dict(
        store.db.conn.execute(f"SELECT id, hash FROM articles WHERE id IN ({','.join('?' * len(ids))})", ids)
    )
    redone: list[str] = []
    dropped: list[str] = []
    for aid, art in store.db.get_many(ids).items():
        chunks = split_article(art, cfg.chunk_chars, cfg.chunk_overlap_sentences)
        if not chunks:
            store.vectors.delete_article(aid)
            store.db.delete(aid)
            dropped.append(aid)
            continue
        store.put_many([ArticleRecord(art, digests[aid], tuple(chunks))], embed([c.text for c in chunks]), {aid})
        redone.append(aid)
    return redone, dropped
