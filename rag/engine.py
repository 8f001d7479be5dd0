"""The Engine: the one object the page, the Python API, the CLI and the eval suite use."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.answerers import Answerer, get_answerer
from rag.config import RagConfig
from rag.embed.embedder import Embedder, get_embedder
from rag.models import Answer, Article, Failure, Filters, IngestReport, Passage, Retrieval, Stats, parse_day
from rag.retrieve.condense import Turn, checked_history, condense
from rag.retrieve.retriever import Retriever
from rag.store.check import CheckReport, check_store
from rag.store.ingest import ProgressFn, ingest_articles
from rag.store.replica import Follower
from rag.store.store import Store
from rag.text.loaders import load_paths
from rag.text.web import Fetcher, Validator, is_url, load_urls

if TYPE_CHECKING:
    from rag.retrieve.llama_index import NewsRetriever


# Control characters (NUL included) carry no meaning in a question and upset tokenizers.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_question(question: str) -> str:
    """The question without control characters; a clear error when nothing is left or when it
    holds text that is not valid Unicode (lone surrogates)."""
    question = _CONTROL.sub("", question or "")
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the question holds characters that are not valid Unicode") from None
    if not question.strip():
        raise ValueError("the question is empty")
    return question


class Engine:
    """Ingest articles and answer questions about them, with verbatim citations.

    >>> engine = Engine(store="./.rag")
    >>> engine.ingest(["seeds/"])
    >>> engine.ask("Who guaranteed the security of Russian bases?").answer
    """

    def __init__(
        self,
        store: str | Path | None = None,
        *,
        config: RagConfig | None = None,
        embedder: Embedder | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        cfg = config or RagConfig()
        if store is not None:
            cfg = cfg.model_copy(update={"store": Path(store)})
        self.config = cfg
        self.store = Store(cfg)
        self._embedder = embedder
        self._answerer = answerer
        self._built_answerer = False  # an answerer given by the caller is theirs to close
        self.retriever = Retriever(self.store, cfg)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:  # loaded on first use: `rag stats` needs no model
            self._embedder = get_embedder(
                self.config.embed_backend, self.config.device, self.config.embed_batch_size, self.config.model_cache
            )
        return self._embedder

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:  # `config.backend` names it; built on first question
            self._answerer = get_answerer(self.config, self.embedder)
            self._built_answerer = True
        return self._answerer

    def warm_up(self) -> None:
        """Load what a first question would wait for, before any is asked (a server opening its
        page): the embedding model, the store's vectors and keyword index (one retrieval), and the
        answerer's own models (its optional `warm_up`: the extractive one's NER)."""
        if not self.stats().articles:
            return
        self.retrieve("warm up")
        warm = getattr(self.answerer, "warm_up", None)
        if warm is not None:
            warm()

    # --- writing -------------------------------------------------------------------------
    def ingest(
        self, paths: Iterable[str | Path], *, progress: bool = True, on_progress: ProgressFn | None = None
    ) -> IngestReport:
        """Load files/folders, pages and feeds (http(s) URLs), and add what is new or changed;
        see `IngestReport`. What the servers said is kept only once the articles are stored, so an
        ingest that stops midway fetches again in full next time."""
        cfg = self.config
        items = [str(p) for p in paths]
        urls, files = [u for u in items if is_url(u)], [f for f in items if not is_url(f)]
        loaded: Iterable[Article | Failure] = load_paths(files, cfg.max_file_mb, cfg.max_records, cfg.max_records_mb)
        if not urls:
            return self.ingest_articles(loaded, progress=progress, on_progress=on_progress)
        fetcher = Fetcher(
            timeout_s=cfg.fetch_timeout_s,
            deadline_s=cfg.fetch_deadline_s,
            max_mb=cfg.max_file_mb,
            host_interval_s=cfg.fetch_host_interval_s,
        )
        seen: dict[str, Validator] = {}
        db = self.store.db
        fetched = load_urls(urls, fetcher, db.validator, db.get, seen)
        try:
            report = self.ingest_articles(itertools.chain(loaded, fetched), progress=progress, on_progress=on_progress)
        finally:
            fetcher.close()
        with self.store.writing():
            db.keep_validators(seen.values())
        report.requests = fetcher.requests
        return report

    def ingest_articles(
        self, items: Iterable[Article | Failure], *, progress: bool = True, on_progress: ProgressFn | None = None
    ) -> IngestReport:
        # The model loads only if something needs embedding: re-ingesting stays instant.
        return ingest_articles(
            self.store,
            lambda texts: self.embedder.embed(texts),
            items,
            progress=progress,
            on_progress=on_progress,
            batch_chunks=self.config.ingest_batch_chunks,
        )

    def delete(self, article_id: str) -> None:
        """Remove an article from every part of the store; KeyError if it isn't there."""
        self.store.delete(article_id)

    def check(self, *, repair: bool = False, deep: bool = True) -> CheckReport:
        """Do texts, vectors and keyword index agree? With `repair`, mend what can be mended
        (re-embed half-written articles, drop orphans, rebuild the keyword index). `deep` also
        re-splits every article to confirm its stored chunks (seconds on a large store)."""
        dim = self._embedder.dim if self._embedder is not None else None
        return check_store(
            self.store, embed=lambda texts: self.embedder.embed(texts), dim=dim, repair=repair, deep=deep
        )

    # --- reading -------------------------------------------------------------------------
    def follow_server(self) -> Follower:
        """With a Chroma server (`chroma_url`): a started thread that keeps this replica's
        articles and keyword index up to date with what other writers put there."""
        if not self.config.chroma_url:
            raise ValueError("following needs a Chroma server: set RAG_CHROMA_URL")
        follower = Follower(self.store)
        follower.start()
        return follower

    def stats(self) -> Stats:
        return self.store.stats()

    def article(self, article_id: str) -> Article | None:
        return self.store.db.get(article_id)

    def articles(self, article_ids: Iterable[str]) -> dict[str, Article]:
        """The stored articles among `article_ids`, by id (ids not in the store are left out)."""
        return self.store.db.get_many(article_ids)

    def retrieve(
        self,
        question: str,
        *,
        as_of: dt.date | str | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
        top_k: int | None = None,
    ) -> Retrieval:
        """The passages every answerer reads: hybrid search for the (condensed) question."""
        question = clean_question(question)
        if len(question) > self.config.max_question_chars:
            raise ValueError(
                f"the question is too long ({len(question):,} characters; at most "
                f"{self.config.max_question_chars:,}): ask about one thing at a time"
            )
        turns = checked_history(history, self.config.max_history_turns, self.config.max_history_turn_chars)
        as_of = parse_day(as_of)
        t0 = time.perf_counter()
        self.store.sync()  # another process may have written since the last question
        query = condense(question, turns)
        q_vec = self.embedder.embed([query])[0]
        t_embed = time.perf_counter()
        index = self.store.keywords  # one keyword index (and one read of the generation) per question
        hits = self.retriever.search(
            query, q_vec, k=top_k or self.config.top_k, filters=filters, as_of=as_of, index=index
        )
        t_retrieve = time.perf_counter()
        return Retrieval(
            question=question,
            query=query,
            query_vector=q_vec,
            passages=self.passages([(h.chunk_id, h.score) for h in hits]),
            idf=index.idf,
            as_of=as_of,
            timings_ms={"embed": (t_embed - t0) * 1000, "retrieve": (t_retrieve - t0) * 1000},
            sentence_vectors=self.store.sentence_vectors,
            sentence_entities=self.store.sentence_entities if self.config.sentence_entities else None,
        )

    def passages(self, ranked: Sequence[tuple[str, float]]) -> list[Passage]:
        """Chunk ids (best first, with scores) with their articles and offsets."""
        spans = self.store.db.chunk_spans([cid for cid, _ in ranked])
        articles = self.store.db.get_many(a for a, _, _ in spans.values())
        return [
            Passage(article=articles[spans[cid][0]], start=spans[cid][1], end=spans[cid][2], rank=rank, score=score)
            for rank, (cid, score) in enumerate((c, s) for c, s in ranked if c in spans)
        ]

    def as_retriever(
        self, *, top_k: int | None = None, as_of: dt.date | str | None = None, filters: Filters | None = None
    ) -> NewsRetriever:
        """This engine's retrieval as a llama-index `BaseRetriever` (see rag.retrieve.llama_index)."""
        from rag.retrieve.llama_index import NewsRetriever

        return NewsRetriever(self, top_k=top_k, as_of=as_of, filters=filters)

    def ask(
        self,
        question: str,
        *,
        as_of: dt.date | str | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
        top_k: int | None = None,
    ) -> Answer:
        """Retrieve, then let the configured answerer answer (or refuse), with citations."""
        t0 = time.perf_counter()
        r = self.retrieve(question, as_of=as_of, filters=filters, history=history, top_k=top_k)
        ans = self.answerer.answer(r)
        return self._finished(ans, r, t0)

    def ask_stream(
        self,
        question: str,
        *,
        as_of: dt.date | str | None = None,
        filters: Filters | None = None,
        history: Sequence[Turn] | None = None,
        top_k: int | None = None,
    ) -> Iterator[str | Answer]:
        """Like `ask`, but yields the answer's text as it is produced, then the final `Answer`."""
        t0 = time.perf_counter()
        r = self.retrieve(question, as_of=as_of, filters=filters, history=history, top_k=top_k)
        for piece in self.answerer.stream(r):
            yield self._finished(piece, r, t0) if isinstance(piece, Answer) else piece

    def _finished(self, ans: Answer, r: Retrieval, t0: float) -> Answer:
        """`ans` with its timings, and each citation's count of other articles of its story."""
        sizes = self.store.db.story_sizes(c.story for c in ans.citations) if ans.citations else {}
        citations = [c.model_copy(update={"also_in": max(0, sizes.get(c.story, 1) - 1)}) for c in ans.citations]
        total = (time.perf_counter() - t0) * 1000
        # the answerer's own steps (e.g. a model's first token) stay, measured from its start
        timings = {**ans.timings_ms, **r.timings_ms, "answer": total - r.timings_ms["retrieve"], "total": total}
        return ans.model_copy(update={"timings_ms": timings, "citations": citations})

    def close(self) -> None:
        """Close the store, and stop the model process of an answerer this engine built."""
        self.store.close()
        close = getattr(self._answerer, "close", None) if self._built_answerer else None
        if close is not None:
            close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
