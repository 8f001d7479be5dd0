"""`rag bench --peer llama-index`: newsrag beside the pipeline a user would otherwise install.

The peer is llama-index's default: `VectorStoreIndex` over a Chroma collection, its default
`SentenceSplitter` (1,024 tokens, 200 overlapping), the same bundled MiniLM (through
`HuggingFaceEmbedding`, i.e. sentence-transformers on torch), a retriever of top-k 2 and the
default query engine (compact synthesis) with the one LLM that installs offline, SmolLM2-135M
through llama.cpp. newsrag runs as it ships (hybrid retrieval, the extractive answerer, the
question's date as `as_of`, which is how the benchmark's questions are asked).

Each system lives in a worker process of its own, so its peak memory is its own; the parent asks
both the same question one after the other, alternating which goes first, so a burst of load
from elsewhere on the machine hits both alike. The ingests run one after the other."""

from __future__ import annotations

import gzip
import json
import multiprocessing as mp
import statistics
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from .bench import load_questions, norm, pct, pick_slice, store_bytes
from .datasets import NEWS_ARTICLES, NEWS_QUESTIONS, data_missing
from .memory import own_peak_mb

PEERS = ("llama-index",)


class System(Protocol):
    def ingest(self, corpus: Path, records: list[dict[str, Any]]) -> int: ...  # chunks stored
    def retrieve(self, question: str, as_of: str) -> list[str]: ...  # the top 5 texts, best first
    def answer(self, question: str, as_of: str) -> str: ...


class Newsrag:
    def __init__(self, folder: Path) -> None:
        from rag import Engine

        self.engine = Engine(store=folder)

    def ingest(self, corpus: Path, records: list[dict[str, Any]]) -> int:
        return self.engine.ingest([corpus], progress=False).chunks_embedded

    def retrieve(self, question: str, as_of: str) -> list[str]:
        return [p.text for p in self.engine.retrieve(question, as_of=as_of, top_k=5).passages]

    def answer(self, question: str, as_of: str) -> str:
        return self.engine.ask(question, as_of=as_of).answer


class LlamaIndexDefault:
    """What llama-index's starter example builds, over Chroma, with the bundled MiniLM."""

    def __init__(self, folder: Path) -> None:
        import chromadb
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        from llama_index.vector_stores.chroma import ChromaVectorStore

        from rag.embed import model_path

        self.collection = chromadb.PersistentClient(path=str(folder)).get_or_create_collection("peer")
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)
        self.embed_model = HuggingFaceEmbedding(model_name=str(model_path()), device="cpu")
        self.index: Any = None
        self.engine: Any = None

    def ingest(self, corpus: Path, records: list[dict[str, Any]]) -> int:
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        docs = [
            Document(text=r["text"], metadata={"title": r.get("title") or "", "date": r.get("date") or ""})
            for r in records
        ]
        self.index = VectorStoreIndex.from_documents(
            docs,
            storage_context=StorageContext.from_defaults(vector_store=self.vector_store),
            embed_model=self.embed_model,
            transformations=[SentenceSplitter()],
        )
        return int(self.collection.count())

    def retrieve(self, question: str, as_of: str) -> list[str]:
        nodes = self.index.as_retriever(similarity_top_k=5).retrieve(question)
        return [n.node.get_content() for n in nodes]

    def answer(self, question: str, as_of: str) -> str:
        if self.engine is None:
            from rag import RagConfig
            from rag.answerers import ModelProcess, build_llm

            model = build_llm(RagConfig(backend="llamacpp"))
            llm = model.llm() if isinstance(model, ModelProcess) else model
            self.engine = self.index.as_query_engine(llm=llm)  # similarity_top_k=2, compact
        return str(self.engine.query(question))


def _serve(name: str, folder: str, conn: Connection) -> None:
    """A worker: builds its system, then answers (op, args) requests with (result, ms)."""
    system: System = Newsrag(Path(folder)) if name == "newsrag" else LlamaIndexDefault(Path(folder))
    conn.send("ready")
    while (msg := conn.recv()) is not None:
        op, args = msg
        if op == "rss":
            conn.send((own_peak_mb(), 0.0))
            continue
        t0 = time.perf_counter()
        out = getattr(system, op)(*args)
        conn.send((out, 1000 * (time.perf_counter() - t0)))


class Worker:
    def __init__(self, name: str, folder: Path) -> None:
        ctx = mp.get_context("spawn")  # no threads or model state copied from this process
        self.name = name
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(name, str(folder), child), daemon=True)
        self.proc.start()
        # ready before the next starts: one's model load must not slow the other's ingest
        self._receive("start", 600)

    def call(self, op: str, *args: Any) -> tuple[Any, float]:
        self.conn.send((op, args))
        result: tuple[Any, float] = self._receive(op, 1800)
        return result

    def _receive(self, what: str, timeout_s: float) -> Any:
        deadline = time.monotonic() + timeout_s
        while not self.conn.poll(0.5):
            if not self.proc.is_alive():
                raise RuntimeError(f"{self.name}: the worker died during {what} (exit code {self.proc.exitcode})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: {what} took over {timeout_s:.0f} s")
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(None)
        self.proc.join(timeout=30)
        if self.proc.is_alive():
            self.proc.kill()


def _turn(names: tuple[str, str], i: int) -> tuple[str, ...]:
    """Who is asked first alternates, so load from elsewhere on the machine hits both alike."""
    return names if i % 2 == 0 else names[::-1]


def _found(gold: str, texts: list[str]) -> bool:
    """The normalised gold answer inside one of the texts (not across two)."""
    return any(norm(gold) in norm(t) for t in texts)


def run_peer(
    peer: str = "llama-index",
    limit: int = 600,
    answers: int = 10,
    articles_path: Path = NEWS_ARTICLES,
    questions_path: Path = NEWS_QUESTIONS,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Both systems on the same `limit` articles and their answerable questions; whole answers
    (with the peer's LLM, seconds each) on the first `answers` of them."""
    if peer not in PEERS:
        raise ValueError(f"unknown peer {peer!r}: one of {', '.join(PEERS)}")
    for path in (articles_path, questions_path):
        if not path.exists():
            raise FileNotFoundError(data_missing(path))
    with gzip.open(articles_path, "rt") as fh:
        records = [json.loads(line) for line in fh]
    records, questions = pick_slice(records, load_questions(questions_path), limit)
    log(f"{len(records)} articles, {len(questions)} answerable questions; peer: {peer}")
    result: dict[str, Any] = {"peer": peer, "articles": len(records), "questions": len(questions)}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "slice.jsonl.gz"
        with gzip.open(corpus, "wt") as f:
            f.writelines(json.dumps(r) + "\n" for r in records)
        names = ("newsrag", peer)
        workers = {n: Worker(n, Path(tmp) / n) for n in names}
        try:
            rows: dict[str, dict[str, Any]] = {n: {} for n in names}
            for n in names:
                log(f"ingest: {n} ...")
                chunks, ms = workers[n].call("ingest", corpus, records)
                rows[n].update(
                    chunks=chunks,
                    ingest_s=round(ms / 1000, 1),
                    ingest_chunks_per_s=round(chunks / (ms / 1000), 1),
                    ingest_articles_per_s=round(len(records) / (ms / 1000), 2),
                    store_mb=round(store_bytes(Path(tmp) / n) / 2**20, 1),
                )
            for n in names:  # one question each to load what loads on first use
                workers[n].call("retrieve", "a first question to load the indexes?", questions[0]["as_of"])
            lat: dict[str, list[float]] = {n: [] for n in names}
            top5: dict[str, int] = dict.fromkeys(names, 0)
            top2: dict[str, int] = dict.fromkeys(names, 0)
            log(f"retrieval, {len(questions)} questions, interleaved ...")
            for i, q in enumerate(questions):
                for n in _turn(names, i):
                    texts, ms = workers[n].call("retrieve", q["question"], q["as_of"])
                    lat[n].append(ms)
                    top5[n] += _found(q["answer"], texts[:5])
                    top2[n] += _found(q["answer"], texts[:2])
            asked = questions[:answers]
            log(f"whole answers, {len(asked)} questions, interleaved (the peer's LLM: seconds each) ...")
            alat: dict[str, list[float]] = {n: [] for n in names}
            right: dict[str, int] = dict.fromkeys(names, 0)
            for i, q in enumerate(asked):
                for n in _turn(names, i):
                    text, ms = workers[n].call("answer", q["question"], q["as_of"])
                    if i > 0:  # the first loads the model
                        alat[n].append(ms)
                    right[n] += _found(q["answer"], [text])
            for n in names:
                rss, _ = workers[n].call("rss")
                rows[n].update(
                    answer_in_top5=round(top5[n] / len(questions), 3),
                    answer_in_top2=round(top2[n] / len(questions), 3),
                    retrieve_p50_ms=round(statistics.median(lat[n]), 1),
                    retrieve_p95_ms=round(pct(lat[n], 0.95), 1),
                    answer_p50_ms=round(statistics.median(alat[n]), 1) if alat[n] else None,
                    answer_questions=len(asked),
                    accuracy=round(right[n] / len(asked), 3) if asked else None,
                    peak_rss_mb=round(rss),
                )
        finally:
            for w in workers.values():
                w.close()
    result["systems"] = rows
    return result


# (metric, higher is better) in the order the table prints them
METRICS = (
    ("ingest_articles_per_s", True),
    ("ingest_chunks_per_s", True),
    ("store_mb", False),
    ("answer_in_top5", True),
    ("answer_in_top2", True),
    ("retrieve_p50_ms", False),
    ("retrieve_p95_ms", False),
    ("answer_p50_ms", False),
    ("accuracy", True),
    ("peak_rss_mb", False),
)


def peer_table(result: dict[str, Any]) -> str:
    """Markdown: each metric for both, and the ratio oriented so that > 1 favours newsrag."""
    peer = result["peer"]
    ours, theirs = result["systems"]["newsrag"], result["systems"][peer]
    lines = [
        f"{result['articles']} articles, {result['questions']} answerable questions "
        f"(whole answers on {ours['answer_questions']})",
        "",
        f"| measure | newsrag | {peer} | in newsrag's favour (x) |",
        "|---|---:|---:|---:|",
    ]
    for key, higher in METRICS:
        a, b = ours.get(key), theirs.get(key)
        ratio = "" if not a or not b else f"{(a / b if higher else b / a):.2f}"
        lines.append(f"| {key} | {a} | {b} | {ratio} |")
    lines.append(f"| chunks | {ours['chunks']} | {theirs['chunks']} | |")
    return "\n".join(lines)
