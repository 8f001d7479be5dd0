"""`rag bench --scale 10000,44000,100000,250000`: what grows with the archive, size by size.

One store is grown through the sizes (in chunks) from the union of the benchmark years, oldest
first, then (past their 200k chunks) copies of them under new ids (`scale_articles`); each size
adds articles to the last, so a run can stop and go on (re-ingest is incremental: the articles
already stored are skipped). At each size:
- ingest chunks/s of the articles it added, and the store's size on disk;
- the keyword index's build time (what a replica pays after a change: Store.rebuild_keywords);
- a fresh process that opens the store as `rag serve` does and asks the sample questions twice,
  first-time then again: its peak resident memory and both latencies' p50 / p95 (one process).
The questions are `questions` of the years' answerable ones, spread over the years, the same at
every size (latency needs no answer in the store; at the smaller sizes most have none)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rag import Article, Engine, load_paths

from .bench import cold_and_warm, load_questions, store_bytes
from .datasets import NEWS_YEARS, data_missing
from .memory import own_peak_mb
from .startup import child_env

DEFAULT_SIZES = (10_000, 44_000, 100_000, 250_000)


def parse_sizes(text: str) -> list[int]:
    """ "10000,44k,0.25m" -> [10000, 44000, 250000], ascending; a clear error otherwise."""
    out: list[int] = []
    for part in text.split(","):
        p = part.strip().lower()
        mult = {"k": 1_000, "m": 1_000_000}.get(p[-1:], 1)
        try:
            n = int(float(p[:-1] if mult > 1 else p) * mult)
        except ValueError:
            raise ValueError(f"--scale: {part.strip()!r} is not a number of chunks (e.g. 10000,44k,250k)") from None
        if n <= 0:
            raise ValueError(f"--scale: {part.strip()!r} must be a positive number of chunks")
        out.append(n)
    return sorted(set(out))


def distinct_ids(years: dict[str, Path]) -> dict[str, int]:
    """id -> the index of the last year that holds it (~3 s for the three years)."""
    folders = list(years.values())
    return {a.id: i for i, folder in enumerate(folders) for a in _read(folder)}


def year_articles(years: dict[str, Path], last: dict[str, int] | None = None) -> Iterator[Article]:
    """Every year's articles, oldest year first, in file order (read as `rag ingest` reads them),
    an id repeated in a later year only there: the latest text wins, as re-ingesting the years in
    turn would leave it. The years repeat 1,491 ids, 989 of them with the same text (the same
    article in two years' files); yielding both made a resumed run replace them back and forth,
    each step a keyword rebuild (~10 min at 200k chunks). `last`: distinct_ids(years), if known."""
    last = distinct_ids(years) if last is None else last
    for i, folder in enumerate(years.values()):
        yield from (a for a in _read(folder) if last[a.id] == i)


def scale_articles(years: dict[str, Path], last: dict[str, int] | None = None) -> Iterator[Article]:
    """`year_articles`, then, for sizes beyond them, the same articles again as copies under new
    ids (`<id>#copy`, text unchanged). The three years hold 200,109 chunks of distinct articles
    (the sum of the years' stores, 239,662, counts the repeated ones twice), so 250k needs ~50k
    more. A copy costs what any article does: its chunks are embedded, indexed and searched; and
    republished text is what a news archive holds anyway (a fifth of the years' text repeats)."""
    last = distinct_ids(years) if last is None else last
    yield from year_articles(years, last)
    yield from (a.model_copy(update={"id": f"{a.id}{COPY}"}) for a in year_articles(years, last))


COPY = "#copy"


def _read(folder: Path) -> Iterator[Article]:
    return (a for a in load_paths([folder / "articles.jsonl.gz"]) if isinstance(a, Article))


def probe(store: Path, questions_file: Path) -> dict[str, Any]:
    """Run in a fresh process: open the store, ask each question first-time, then again."""
    questions = load_questions(questions_file)
    t0 = time.perf_counter()
    with Engine(store=store) as eng:
        eng.ask("a first question to load the model and the indexes?")
        open_s = time.perf_counter() - t0
        times = cold_and_warm(eng, questions)
    out: dict[str, Any] = {"open_s": round(open_s, 2)}
    for name, key in (("cold", "latency"), ("warm", "latency_again")):
        out[f"{name}_p50_ms"] = times[key]["total_p50_ms"]
        out[f"{name}_p95_ms"] = times[key]["total_p95_ms"]
    out["peak_rss_mb"] = round(own_peak_mb())
    return out


def run_scale(
    sizes: list[int],
    store: Path,
    questions: int = 100,
    years: dict[str, Path] = NEWS_YEARS,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    for folder in years.values():
        if not (folder / "articles.jsonl.gz").exists():
            raise FileNotFoundError(data_missing(folder / "articles.jsonl.gz"))
    pool = [q for f in years.values() for q in load_questions(f / "questions.jsonl") if q["answer_in_corpus"]]
    last = distinct_ids(years)
    source, distinct = scale_articles(years, last), len(last)
    copying = False
    rows: list[dict[str, Any]] = []
    with Engine(store=store) as eng:
        for size in sizes:
            added = chunks = 0
            seconds = 0.0
            while (now := eng.stats()).chunks < size:
                # about as many articles as the size still needs, so a size is not overshot by a
                # whole step; at most 1,000 a step, as each step ends in a keyword-index rebuild
                # (~25 s at 120k chunks against ~90 s of embedding for 200 articles: a fifth of the time)
                per_article = now.chunks / now.articles if now.articles else 10.0
                want = max(1, min(1000, math.ceil((size - now.chunks) / per_article)))
                batch = [a for _, a in zip(range(want), source, strict=False)]
                if not batch:
                    log(f"the benchmark years, twice, hold fewer than {size} chunks: stopping at {now.chunks}")
                    break
                if not copying and batch[-1].id.endswith(COPY):
                    log(f"the years' {distinct} distinct articles are stored: copies from here on")
                    copying = True
                report = eng.ingest_articles(batch, progress=False)
                added += len(report.added) + len(report.updated)
                chunks += report.chunks_embedded
                seconds += report.seconds
            stats = eng.stats()
            if rows and stats.chunks == rows[-1]["chunks"]:
                break  # no more articles
            log(f"{stats.chunks} chunks ({stats.articles} articles): keyword index, then the questions ...")
            t0 = time.perf_counter()
            eng.store.rebuild_keywords()
            keyword_s = time.perf_counter() - t0
            # the same sample at every size, spread over the years: latency is compared across sizes
            asked = pool[:: max(1, len(pool) // questions)][:questions] if questions else []
            row: dict[str, Any] = {
                "chunks": stats.chunks,
                "articles": stats.articles,
                "ingest_chunks_per_s": round(chunks / seconds, 1) if chunks else None,
                "ingested_articles": added,
                # articles stored twice, under a copy's id (scale_articles), to reach the size
                "copied_articles": max(0, stats.articles - distinct),
                "store_mb": round(store_bytes(store) / 2**20, 1),
                "keyword_index_s": round(keyword_s, 2),
                "questions": len(asked),
            }
            if asked:
                qfile = store.parent / f".{store.name}-questions.jsonl"
                qfile.write_text("".join(json.dumps(q) + "\n" for q in asked), encoding="utf-8")
                row.update(_probe_process(store, qfile))
                qfile.unlink()
            rows.append(row)
            log(json.dumps(row))
    return {"store": str(store), "sizes": sizes, "rows": rows}


def _probe_process(store: Path, qfile: Path) -> dict[str, Any]:
    env = {**child_env(), "RAG_STORE": str(store)}
    proc = subprocess.run(
        [sys.executable, "-m", "rag.eval.scale", str(store), str(qfile)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the query process failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


COLUMNS = (
    ("chunks", "chunks"),
    ("copied_articles", "of which copied articles"),
    ("ingest_chunks_per_s", "ingest chunks/s"),
    ("store_mb", "store MB"),
    ("keyword_index_s", "keyword index s"),
    ("peak_rss_mb", "query process RSS MB"),
    ("cold_p50_ms", "first-time p50 ms"),
    ("cold_p95_ms", "first-time p95 ms"),
    ("warm_p50_ms", "again p50 ms"),
    ("warm_p95_ms", "again p95 ms"),
    ("questions", "questions"),
)


def scale_table(result: dict[str, Any]) -> str:
    rows = result["rows"]
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(("" if r.get(k) is None else str(r[k])) for k, _ in COLUMNS) + " |" for r in rows]
    if len(rows) >= 2 and rows[0].get("cold_p95_ms") and rows[-1].get("cold_p95_ms"):
        first, last = rows[0], rows[-1]
        # each ratio where both rows have the figure: merged rows from older runs may lack one
        ratios = [
            f"{label} {last[key] / first[key]:.{digits}f}x"
            for key, label, digits in (("cold_p95_ms", "first-time p95", 2), ("peak_rss_mb", "RSS", 2),
                                       ("keyword_index_s", "keyword index", 1))
            if first.get(key) and last.get(key)
        ]  # fmt: skip
        lines.append("")
        lines.append(
            f"from {first['chunks']} to {last['chunks']} chunks ({last['chunks'] / first['chunks']:.1f}x): "
            + ", ".join(ratios)
        )
    return "\n".join(lines)


def scale_plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result["rows"] if "cold_p50_ms" in r]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6))
    panels: list[tuple[str, list[tuple[str, str]]]] = [
        ("query latency (ms)", [("cold_p50_ms", "first-time p50"), ("cold_p95_ms", "first-time p95"),
                                ("warm_p50_ms", "again p50"), ("warm_p95_ms", "again p95")]),
        ("query process RSS (MB)", [("peak_rss_mb", "peak RSS")]),
        ("keyword index build (s)", [("keyword_index_s", "build")]),
        ("store on disk (MB)", [("store_mb", "size")]),
    ]  # fmt: skip
    for ax, (title, series) in zip(axes, panels, strict=True):
        for key, label in series:
            points = [(r["chunks"], r[key]) for r in rows if r.get(key) is not None]
            ax.plot(*zip(*points, strict=True), marker="o", label=label)
        ax.set_title(title)
        ax.set_xlabel("chunks")
        ax.set_ylim(bottom=0)
        if len(series) > 1:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":  # the query process of one size (see _probe_process)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(json.dumps(probe(Path(sys.argv[1]), Path(sys.argv[2]))))
