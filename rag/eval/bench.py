"""`rag bench`: speed of ingestion and answering, measured side by side in one run.

Reports the floor (raw embedding throughput of the model on the very chunk texts we ingest,
torch fp32 and the fast path), our ingestion throughput and its overhead over that floor,
re-ingest of the unchanged corpus, query latency (retrieve / answer) over the news questions,
peak memory and store size; and the fast path's speed-up and retrieval quality (answer in the
top 5 chunks) against torch, each path with its own store. Writes JSON and a PNG plot."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from rag import Article, Embedder, Engine, RagConfig, get_embedder, load_paths
from rag.embed import OpenVINOEmbedder, TorchEmbedder
from rag.text import split_article

from .datasets import NEWS_ARTICLES as ARTICLES
from .datasets import NEWS_QUESTIONS as QUESTIONS
from .datasets import data_missing
from .startup import measure_startup


class PeakRSS:
    """Samples this process's resident memory every 20 ms while active."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    t0 = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - t0
    end.append(time.perf_counter())


def norm(s: str) -> str:
    return re.sub(r"\W+", " ", s.lower()).strip()


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def pick_slice(
    articles: list[dict[str, Any]], questions: list[dict[str, Any]], limit: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`limit` articles: the supporting articles of the answerable questions, in question
    order, then the rest of the file; and the answerable questions whose supporting
    articles all made it in. Without a limit: everything."""
    answerable = [q for q in questions if q["answer_in_corpus"]]
    if limit is None or limit >= len(articles):
        return articles, answerable
    by_id = {a["id"]: a for a in articles}
    chosen: dict[str, dict[str, Any]] = {}
    for q in answerable:
        need = [i for i in q["supporting_articles"] if i in by_id and i not in chosen]
        if len(chosen) + len(need) > limit:
            break
        chosen.update((i, by_id[i]) for i in need)
    for a in articles:
        if len(chosen) >= limit:
            break
        chosen.setdefault(a["id"], a)
    ids = set(chosen)
    qs = [q for q in answerable if set(q["supporting_articles"]) <= ids]
    return list(chosen.values()), qs


def store_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))] if s else float("nan")


def query_latency(engine: Engine, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Ask every question with its as_of; the first (cold) query is left out of the figures."""
    engine.ask("a cold start question to load the indexes?")
    retrieve: list[float] = []
    answer: list[float] = []
    total: list[float] = []
    for q in questions:
        t = engine.ask(q["question"], as_of=q["as_of"]).timings_ms
        retrieve.append(t["retrieve"])
        answer.append(t["answer"])
        total.append(t["total"])
    return {
        "questions": len(questions),
        **{
            f"{name}_p50_ms": round(statistics.median(v), 1)
            for name, v in (("retrieve", retrieve), ("answer", answer), ("total", total))
            if v
        },
        **{
            f"{name}_p95_ms": round(pct(v, 0.95), 1)
            for name, v in (("retrieve", retrieve), ("answer", answer), ("total", total))
            if v
        },
    }


def cold_and_warm(engine: Engine, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Every question asked twice in one process: first-time questions (their sentences new to the
    process, as most questions are in real use), then the same again (remembered)."""
    return {"latency": query_latency(engine, questions), "latency_again": query_latency(engine, questions)}


def generation_latency(engine: Engine, questions: list[dict[str, Any]], n: int = 10) -> dict[str, Any]:
    """With a generating backend: time from asking to the first streamed piece of text, and to
    the checked answer, over `n` questions (a first, cold question, which loads the model, is
    left out)."""
    list(engine.ask_stream("a cold start question to load the model?"))
    first: list[float] = []
    total: list[float] = []
    for q in questions[:n]:
        t0 = time.perf_counter()
        t_first: float | None = None
        for piece in engine.ask_stream(q["question"], as_of=q.get("as_of")):
            if isinstance(piece, str) and t_first is None:
                t_first = time.perf_counter() - t0
        t_total = time.perf_counter() - t0
        first.append(1000 * (t_first if t_first is not None else t_total))
        total.append(1000 * t_total)
    cfg = engine.config
    return {
        "backend": cfg.backend,
        "model": cfg.llm_model or "(default)",
        "questions": len(first),
        "max_tokens": cfg.llm_max_tokens,
        "top_k": cfg.top_k,
        **{
            f"{name}_{stat}_ms": round(fn(v), 1)
            for name, v in (("first_token", first), ("total", total))
            if v
            for stat, fn in (("p50", statistics.median), ("p95", lambda x: pct(x, 0.95)))
        },
    }


def generating(
    store: Path,
    config: RagConfig,
    embedder: Embedder,
    questions: list[dict[str, Any]],
    backend: str,
    log: Callable[[str], None],
) -> dict[str, Any]:
    cfg = config.model_copy(update={"backend": backend})
    with Engine(store=store, config=cfg, embedder=embedder) as eng:
        log(f"generation with {backend} on {min(10, len(questions))} questions ...")
        return generation_latency(eng, questions)


def answer_in_top5(engine: Engine, questions: list[dict[str, Any]]) -> float:
    """Share of questions whose gold answer occurs in one of the 5 chunks retrieved."""
    found = 0
    for q in questions:
        r = engine.retrieve(q["question"], as_of=q["as_of"], top_k=5)
        text = " ".join(norm(p.text) for p in r.passages)
        found += norm(q["answer"]) in text
    return found / len(questions) if questions else float("nan")


def raw_throughput(embedder: Embedder, texts: list[str]) -> float:
    embedder.embed(texts[:16])  # warm up
    with timer() as elapsed:
        embedder.embed(texts)
    return len(texts) / elapsed()


def interleaved_throughput(embedders: list[Embedder], texts: list[str], rounds: int = 2) -> dict[str, float]:
    """Best chunks/s of each embedder over `rounds` alternating passes on the same texts, so a
    burst of load from elsewhere on the machine hits all of them alike."""
    best: dict[str, float] = {}
    for e in embedders:
        e.embed(texts[:16])
    for _ in range(rounds):
        for e in embedders:
            with timer() as elapsed:
                e.embed(texts)
            best[e.name] = max(best.get(e.name, 0.0), len(texts) / elapsed())
    return {k: round(v, 2) for k, v in best.items()}


class TimedEmbedder:
    """Passes through to an embedder and adds up the seconds spent in it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim, self.seconds = inner, inner.name, inner.dim, 0.0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with timer() as elapsed:
            vecs = self.inner.embed(texts)
        self.seconds += elapsed()
        return vecs


def ingest_path(
    embedder: Embedder, corpus: Path, store: Path, config: RagConfig, questions: list[dict[str, Any]], quality: bool
) -> dict[str, Any]:
    timed = TimedEmbedder(embedder)
    with PeakRSS() as mem, Engine(store=store, config=config, embedder=timed) as eng:
        first = eng.ingest([corpus], progress=False)
    out: dict[str, Any] = {
        "embedder": embedder.name,
        "ingest_s": round(first.seconds, 2),
        "embed_s_inside_ingest": round(timed.seconds, 2),
        "chunks": first.chunks_embedded,
        "ingest_chunks_per_s": round(first.chunks_embedded / first.seconds, 2),
        "ingest_peak_rss_mb": round(mem.peak / 2**20),
    }
    with Engine(store=store, config=config, embedder=embedder) as eng:
        again = eng.ingest([corpus], progress=False)
        assert again.chunks_embedded == 0, "re-ingest embedded something"
        out["reingest_s"] = round(again.seconds, 3)
        out["store_mb"] = round(store_bytes(store) / 2**20, 2)
        if quality:
            out["answer_in_top5"] = round(answer_in_top5(eng, questions), 4)
            out.update(cold_and_warm(eng, questions))
    return out


def run_bench(
    limit: int | None = None,
    store: Path | None = None,
    quality: bool = True,
    int8: bool = True,
    llm: str | None = None,
    startup: bool = True,
    articles_path: Path = ARTICLES,
    questions_path: Path = QUESTIONS,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    for path in (articles_path, questions_path):
        if not path.exists():
            raise FileNotFoundError(data_missing(path))
    questions = load_questions(questions_path)
    result: dict[str, Any] = {"limit": limit, "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    if startup:  # first, while nothing else of the bench holds memory or cores
        log("start-up: rag ask, rag stats, rag serve ...")
        result["startup"] = measure_startup()
    cache = RagConfig().model_cache  # $RAG_MODEL_CACHE, as every command honours it
    fast = get_embedder("auto", cache=cache)
    if store is not None:  # latency on an existing (full) store; it is copied, never written
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "store"
            shutil.copytree(store, copy)
            with Engine(store=copy, embedder=fast) as eng:
                log(f"querying a copy of {store} ({eng.stats().chunks} chunks) with {fast.name}")
                result["store"] = {
                    "path": str(store),
                    "chunks": eng.stats().chunks,
                    "store_mb": round(store_bytes(store) / 2**20, 1),
                    "embedder": fast.name,
                    "answer_in_top5": round(answer_in_top5(eng, [q for q in questions if q["answer_in_corpus"]]), 4),
                    **cold_and_warm(eng, questions),
                }
                result["store"]["sentence_vectors_stored"] = not eng.store.db.without_sentence_vectors()
                result["store"]["sentence_entities_stored"] = not eng.store.db.without_sentence_entities()
            if llm:
                result["generation"] = generating(copy, RagConfig(), fast, questions, llm, log)
        return result

    with gzip.open(articles_path, "rt") as fh:
        records = [json.loads(line) for line in fh]
    records, qs = pick_slice(records, questions, limit)
    result.update(articles=len(records), questions=len(qs))
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "slice.jsonl.gz"
        with gzip.open(corpus, "wt") as f:
            f.writelines(json.dumps(r) + "\n" for r in records)
        cfg = RagConfig(store=Path(tmp) / "unused")
        arts = [a for a in load_paths([corpus]) if isinstance(a, Article)]
        with timer() as split_s:
            texts = [c.text for a in arts for c in split_article(a, cfg.chunk_chars, cfg.chunk_overlap_sentences)]
        result["chunks"] = len(texts)
        result["split_s"] = round(split_s(), 2)
        log(f"{len(records)} articles, {len(texts)} chunks, {len(qs)} questions")

        # The fast path first, before torch is loaded, so its memory figure is its own.
        # The floor is measured just before and just after the ingest, and averaged, so a
        # change of load from elsewhere on the machine tilts the overhead less.
        log(f"raw embedding, {fast.name} ...")
        before = raw_throughput(fast, texts)
        log(f"ingest with {fast.name} ...")
        result["fast"] = ingest_path(fast, corpus, Path(tmp) / "fast", cfg, qs, quality)
        # what storing sentence vectors, then their entities, costs at ingest and saves a first-time
        # question: chunks only, then with vectors, against both (the default)
        log(f"ingest with {fast.name}, chunks only (no sentence vectors or entities) ...")
        off = cfg.model_copy(update={"sentence_vectors": False, "sentence_entities": False})
        result["fast_chunks_only"] = ingest_path(fast, corpus, Path(tmp) / "fast-off", off, qs, quality)
        log(f"ingest with {fast.name}, sentence vectors without entities ...")
        no_ents = cfg.model_copy(update={"sentence_entities": False})
        result["fast_no_sentence_entities"] = ingest_path(fast, corpus, Path(tmp) / "fast-noent", no_ents, qs, quality)
        log(f"raw embedding again, {fast.name} ...")
        after = raw_throughput(fast, texts)
        result["raw_fast_chunks_per_s_before_after"] = [round(before, 2), round(after, 2)]
        result["raw_fast_chunks_per_s"] = round((before + after) / 2, 2)
        paths: list[Embedder] = [fast]
        if int8:
            calibration = texts[:: max(1, len(texts) // 128)][:128]
            log(f"int8: calibrating on {len(calibration)} of these chunks (nncf) ...")
            q8 = OpenVINOEmbedder(precision="int8", calibration=calibration, cache=cache)
            log(f"ingest with {q8.name} ...")
            result["int8"] = ingest_path(q8, corpus, Path(tmp) / "int8", cfg, qs, quality)
            paths.append(q8)
        torch = TorchEmbedder()
        paths.insert(0, torch)
        if quality:
            log("ingest with torch fp32 (the quality reference) ...")
            result["torch"] = ingest_path(torch, corpus, Path(tmp) / "torch", cfg, qs, quality)
        sample = texts[:: max(1, len(texts) // 192)][:192]
        log(f"raw embedding, interleaved, on {len(sample)} of the chunks ...")
        result["raw_interleaved_chunks_per_s"] = interleaved_throughput(paths, sample)
        if llm:  # optional (needs the `llm` extra); last, so the model's load skews nothing above
            result["generation"] = generating(Path(tmp) / "fast", cfg, fast, qs, llm, log)

    f, raw = result["fast"], result["raw_interleaved_chunks_per_s"]
    only, vec = result["fast_chunks_only"], result["fast_no_sentence_entities"]
    result["ratios"] = {
        "fast_speedup_over_torch": round(raw[fast.name] / raw[torch.name], 2),
        # the ingest that embeds what the raw figure embeds: chunks only
        "ingest_overhead_over_raw": round(
            result["raw_fast_chunks_per_s"] / result["fast_chunks_only"]["ingest_chunks_per_s"] - 1, 3
        ),
        # the same question asked inside one run: time not spent embedding, over time embedding
        "ingest_non_embedding_share": round(f["ingest_s"] / f["embed_s_inside_ingest"] - 1, 3),
        "reingest_speedup": round(f["ingest_s"] / max(f["reingest_s"], 1e-6), 1),
        "sentence_vectors_ingest_time": round(vec["ingest_s"] / only["ingest_s"], 2),
        "sentence_vectors_store_size": round(vec["store_mb"] / only["store_mb"], 2),
        "sentence_entities_ingest_time": round(f["ingest_s"] / vec["ingest_s"], 2),
        "sentence_entities_store_size": round(f["store_mb"] / vec["store_mb"], 2),
    }
    for key, name in (
        ("fast", "cold_over_warm"),
        ("fast_no_sentence_entities", "cold_over_warm_without_sentence_entities"),
        ("fast_chunks_only", "cold_over_warm_chunks_only"),
    ):
        if "latency" in result[key]:
            result["ratios"][name] = round(
                result[key]["latency"]["total_p50_ms"] / result[key]["latency_again"]["total_p50_ms"], 2
            )
    if "int8" in result:
        result["ratios"]["int8_speedup_over_torch"] = round(raw[result["int8"]["embedder"]] / raw[torch.name], 2)
    if quality and "torch" in result:
        for key in ("fast", "int8"):
            if key in result:
                result["ratios"][f"{key}_top5_points_lost"] = round(
                    100 * (result["torch"]["answer_in_top5"] - result[key]["answer_in_top5"]), 2
                )
    return result


def table(result: dict[str, Any]) -> str:
    """The figures as a Markdown table, for the terminal and the closing note."""
    rows: list[tuple[str, str]] = []
    if "startup" in result:
        st = result["startup"]
        rows += [
            (f"cold `rag ask` (seeds store), {st['runs']} runs", f"{' / '.join(map(str, st['ask_s']))} s"),
            ("peak resident memory of `rag ask`", f"{st['ask_peak_rss_mb']} MB"),
            (f"`rag stats`, {st['runs']} runs", f"{' / '.join(map(str, st['stats_s']))} s"),
            ("`rag serve` to the page's first HTTP 200", f"{st['page_ready_s']} s"),
        ]
    if "store" in result:
        s = result["store"]
        lat = s["latency"]
        rows += [
            ("store", f"{s['path']} ({s['chunks']} chunks, {s['store_mb']} MB)"),
            ("embedder", s["embedder"]),
            ("answer in top 5", f"{s['answer_in_top5']:.3f}"),
        ]
        if "sentence_vectors_stored" in s:  # a result of an older bench has no such row
            stored = s["sentence_vectors_stored"]
            rows.append(("sentence vectors stored", "yes" if stored else "no (questions embed them)"))
        if "sentence_entities_stored" in s:
            stored = s["sentence_entities_stored"]
            rows.append(("sentence entities stored", "yes" if stored else "no (questions run NER)"))
    else:
        f, r, raw = result["fast"], result["ratios"], result["raw_interleaved_chunks_per_s"]
        rows += [
            ("corpus", f"{result['articles']} articles, {result['chunks']} chunks, {result['questions']} questions"),
            *[(f"raw embedding, {name} (interleaved sample)", f"{v} chunks/s") for name, v in raw.items()],
            (f"fast path ({f['embedder']}) speed-up over torch", f"{r['fast_speedup_over_torch']}x"),
        ]
        if "int8" in result:
            rows.append((f"{result['int8']['embedder']} speed-up over torch", f"{r['int8_speedup_over_torch']}x"))
        rows += [
            (f"raw embedding, {f['embedder']}, all chunks", f"{result['raw_fast_chunks_per_s']} chunks/s"),
            (f"ingest, {f['embedder']}", f"{f['ingest_chunks_per_s']} chunks/s ({f['ingest_s']} s)"),
            (
                "ingest overhead over raw, without sentence vectors (floor before/after: "
                f"{'/'.join(map(str, result['raw_fast_chunks_per_s_before_after']))})",
                f"{100 * r['ingest_overhead_over_raw']:.1f}%",
            ),
            ("ingest time not spent embedding", f"{100 * r['ingest_non_embedding_share']:.1f}%"),
            ("re-ingest unchanged", f"{f['reingest_s']} s ({r['reingest_speedup']}x faster)"),
            ("peak RSS while ingesting", f"{f['ingest_peak_rss_mb']} MB"),
            ("store size", f"{f['store_mb']} MB"),
        ]
        only, vec = result["fast_chunks_only"], result["fast_no_sentence_entities"]
        rows += [
            (
                "chunks only (no sentence vectors or entities): ingest / store size",
                f"{only['ingest_chunks_per_s']} chunks/s ({only['ingest_s']} s) / {only['store_mb']} MB",
            ),
            (
                "sentence vectors without entities: ingest / store size",
                f"{vec['ingest_chunks_per_s']} chunks/s ({vec['ingest_s']} s) / {vec['store_mb']} MB",
            ),
            (
                "sentence vectors' cost over chunks only: ingest time / store size",
                f"{r['sentence_vectors_ingest_time']}x / {r['sentence_vectors_store_size']}x",
            ),
            (
                "sentence entities' cost over vectors alone: ingest time / store size",
                f"{r['sentence_entities_ingest_time']}x / {r['sentence_entities_store_size']}x",
            ),
        ]
        if "cold_over_warm" in r:
            rows.append(
                (
                    "first-time over repeated question, total p50: default / without entities / chunks only",
                    f"{r['cold_over_warm']}x / {r['cold_over_warm_without_sentence_entities']}x / "
                    f"{r['cold_over_warm_chunks_only']}x ({f['latency']['total_p50_ms']} / "
                    f"{vec['latency']['total_p50_ms']} / {only['latency']['total_p50_ms']} ms first-time)",
                )
            )
        if "torch" in result:
            t = result["torch"]
            rows.append(("ingest, torch fp32", f"{t['ingest_chunks_per_s']} chunks/s ({t['ingest_s']} s)"))
            for key in ("fast", "int8"):
                if key in result:
                    rows.append(
                        (
                            f"answer in top 5, torch / {result[key]['embedder']}",
                            f"{t['answer_in_top5']:.3f} / {result[key]['answer_in_top5']:.3f} "
                            f"({r[f'{key}_top5_points_lost']:+.1f} points lost)",
                        )
                    )
        lat = f.get("latency")
    if lat:
        rows += [
            ("queries, each first-time (a warm-up question first, excluded)", str(lat["questions"])),
            ("retrieve p50 / p95", f"{lat['retrieve_p50_ms']} / {lat['retrieve_p95_ms']} ms"),
            ("answer p50 / p95", f"{lat['answer_p50_ms']} / {lat['answer_p95_ms']} ms"),
            ("total p50 / p95", f"{lat['total_p50_ms']} / {lat['total_p95_ms']} ms"),
        ]
        again = (result.get("store") or result["fast"]).get("latency_again")
        if again:
            rows.append(
                (
                    "the same questions again: total p50 / p95",
                    f"{again['total_p50_ms']} / {again['total_p95_ms']} ms "
                    f"({lat['total_p50_ms'] / again['total_p50_ms']:.2f}x first-time over again, p50)",
                )
            )
    gen = result.get("generation")
    if gen:
        rows += [
            (
                f"generation ({gen['backend']}, {gen['model']}, {gen['questions']} questions, "
                f"top {gen['top_k']}, <= {gen['max_tokens']} tokens)",
                "",
            ),
            ("time to first streamed token p50 / p95", f"{gen['first_token_p50_ms']} / {gen['first_token_p95_ms']} ms"),
            ("checked answer total p50 / p95", f"{gen['total_p50_ms']} / {gen['total_p95_ms']} ms"),
        ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(
        [f"| {'measure'.ljust(width)} | value |", f"|{'-' * (width + 2)}|-------|"]
        + [f"| {k.ljust(width)} | {v} |" for k, v in rows]
    )


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    if "store" not in result:
        f = result["fast"]
        raw = result["raw_interleaved_chunks_per_s"]
        names = [f"raw {k}" for k in raw] + [f"raw {f['embedder']}, all"]
        vals = [*raw.values(), result["raw_fast_chunks_per_s"]]
        for key in ("fast", "int8", "torch"):
            if key in result:
                names.append(f"ingest {result[key]['embedder']}")
                vals.append(result[key]["ingest_chunks_per_s"])
        axes[0].barh(names, vals, color=["#999"] * len(raw) + ["#2a7"] + ["#27a"] * (len(vals) - len(raw) - 1))
        axes[0].set_xlabel("chunks per second")
        axes[0].set_title(f"Embedding and ingestion ({result['chunks']} chunks)")
        lat = f.get("latency")
    else:
        lat = result["store"]["latency"]
        axes[0].axis("off")
        axes[0].text(0.0, 0.5, f"store: {result['store']['chunks']} chunks", fontsize=12)
    if lat:
        parts = ["retrieve", "answer", "total"]
        x = range(len(parts))
        axes[1].bar([i - 0.2 for i in x], [lat[f"{p}_p50_ms"] for p in parts], 0.4, label="p50")
        axes[1].bar([i + 0.2 for i in x], [lat[f"{p}_p95_ms"] for p in parts], 0.4, label="p95")
        axes[1].axhline(50, ls="--", c="#2a7", lw=1, label="p50 target")
        axes[1].axhline(150, ls="--", c="#a72", lw=1, label="p95 target")
        axes[1].set_xticks(list(x), parts)
        axes[1].set_ylabel("ms")
        axes[1].set_title(f"Query latency ({lat['questions']} questions)")
        axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
