"""The eval suite's commands, `rag eval`, `rag bench` and `rag load`, added to the `rag` command line (see
rag/cli/__init__.py). What they need (matplotlib, psutil, the suites) loads when they run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated

import typer

from rag import LLMError
from rag.cli import BackendOpt, StoreOpt, config_for, fail

EXTRA = "pip install '.[eval]'"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


def need_extra(command: str, *modules: str) -> None:
    missing = [m for m in modules if not _installed(m)]
    if missing:
        raise fail(f"`rag {command}` needs the `eval` extra ({', '.join(missing)} not installed): run `{EXTRA}`")


def eval_(
    suite: Annotated[
        str,
        typer.Option(
            "--suite", help="seeds (the CI gate), news, rgb, or news-years (--store: a folder of news-YYYY stores)"
        ),
    ] = "seeds",
    questions: Annotated[Path | None, typer.Option("--questions", help="questions file of the suite's schema")] = None,
    store: StoreOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="only the first N questions")] = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report", help="report folder (default reports/SUITE-TIME)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    backend: BackendOpt = None,
) -> None:
    """Score answers (retrieval, accuracy, faithfulness, citations, refusal, latency); write a report.

    --store reuses a store (e.g. the whole news corpus); without it the suite builds its own."""
    need_extra("eval", "matplotlib")
    from .report import print_table
    from .run import run_suite

    if suite == "news-years":
        _eval_years(store, report_dir, backend, limit, quiet)
        return
    try:
        run = run_suite(
            suite,
            folder=report_dir,
            config=config_for(None, backend=backend),
            store=store,
            questions=questions,
            limit=limit,
            progress=not quiet,
            say=typer.echo,
        )
    except (ValueError, FileNotFoundError, LLMError) as exc:
        raise fail(str(exc)) from None
    print_table(run.report)
    typer.echo(f"report: {run.folder}/ (" + ", ".join(p.name for p in run.files) + ")")
    if run.report.gate is not None:
        if run.report.gate:
            typer.secho("gate FAILED: " + "; ".join(run.report.gate), fg=typer.colors.RED, err=True)
            raise typer.Exit(code=1)
        typer.secho("gate passed (rag/eval/thresholds.toml)", fg=typer.colors.GREEN)


def _eval_years(stores: Path | None, folder: Path | None, backend: str | None, limit: int | None, quiet: bool) -> None:
    """`rag eval --suite news-years`: every year on its own store, side by side."""
    from rich.console import Console
    from rich.table import Table

    from .run import run_years

    if stores is None:
        raise fail("--suite news-years needs --store DIR: a folder holding news-2022/, news-2023/, news-2024/ stores")
    try:
        head, rows = run_years(
            stores, folder=folder, config=config_for(None, backend=backend), limit=limit, progress=not quiet,
            say=typer.echo,
        )  # fmt: skip
    except (ValueError, FileNotFoundError, LLMError) as exc:
        raise fail(str(exc)) from None
    table = Table(title="rag eval --suite news-years")
    for i, h in enumerate(head):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        table.add_row(*r)
    Console(width=max(Console().width, 40 + 12 * len(head))).print(table)


def bench(
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="only this many articles (quick run)")] = None,
    store: Annotated[
        Path | None, typer.Option("--store", help="only measure queries on (a copy of) this existing store")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for bench.json and bench.png")] = Path("reports"),
    quality: Annotated[bool, typer.Option(help="also ingest with torch and compare top-5 retrieval")] = True,
    int8: Annotated[bool, typer.Option(help="also try OpenVINO int8, calibrated on these chunks")] = True,
    llm: Annotated[
        str | None,
        typer.Option(
            "--llm", help="also time generation with this backend (llamacpp, openai, ollama): first token, total"
        ),
    ] = None,
    startup: Annotated[
        bool, typer.Option(help="also time whole rag ask / rag stats commands and the page's start (seeds store)")
    ] = True,
    peer: Annotated[
        str | None,
        typer.Option(
            "--peer",
            help="instead: newsrag beside this pipeline (llama-index: its default over Chroma, same MiniLM), "
            "interleaved, on --limit articles (default 600)",
        ),
    ] = None,
    scale: Annotated[
        str | None,
        typer.Option(
            "--scale",
            help="instead: grow the store at --store (default OUT/scale-store) through these sizes in chunks "
            "(e.g. 10k,44k,100k,250k) from the benchmark years (past their 200k chunks, copies of them); "
            "each size reuses the last",
        ),
    ] = None,
    answers: Annotated[
        int,
        typer.Option(
            "--answers", min=0, help="with --peer: whole answers on this many questions (the peer's: ~20 s each here)"
        ),
    ] = 10,
) -> None:
    """Speed of ingestion and answering on the news benchmark data; writes JSON and a plot."""
    if peer is not None:
        _peer(peer, limit or 600, answers, out)
        return
    if scale is not None:
        _scale(scale, store or out / "scale-store", out)
        return
    need_extra("bench", "matplotlib", "psutil", *(["nncf"] if int8 and store is None else []))
    from .bench import plot, run_bench, table

    if store is not None and not (store / "articles.sqlite").exists():
        raise fail(f"{store} is not a store (no articles.sqlite in it)")
    try:
        result = run_bench(
            limit=limit,
            store=store,
            quality=quality,
            int8=int8,
            llm=llm,
            startup=startup,
            log=lambda m: typer.echo(m, err=True),
        )
    except (FileNotFoundError, LLMError, ValueError) as exc:
        raise fail(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    name = "bench-store" if store is not None else "bench"
    (out / f"{name}.json").write_text(json.dumps(result, indent=2))
    plot(result, out / f"{name}.png")
    typer.echo(table(result))
    typer.echo(f"wrote {out / f'{name}.json'} and {out / f'{name}.png'}")


def _peer(peer: str, limit: int, answers: int, out: Path) -> None:
    need_extra("bench --peer", "llama_index.vector_stores.chroma", "llama_index.embeddings.huggingface")
    from .peer import peer_table, run_peer

    try:
        result = run_peer(peer, limit=limit, answers=answers, log=lambda m: typer.echo(m, err=True))
    except (FileNotFoundError, LLMError, ValueError) as exc:
        raise fail(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    (out / "peer.json").write_text(json.dumps(result, indent=2))
    typer.echo(peer_table(result))
    typer.echo(f"wrote {out / 'peer.json'}")


def _scale(sizes: str, store: Path, out: Path) -> None:
    need_extra("bench --scale", "matplotlib")
    from .scale import parse_sizes, run_scale, scale_plot, scale_table

    try:
        result = run_scale(parse_sizes(sizes), store, log=lambda m: typer.echo(m, err=True))
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(result, indent=2))
    scale_plot(result, out / "scale.png")
    typer.echo(scale_table(result))
    typer.echo(f"wrote {out / 'scale.json'} and {out / 'scale.png'}")


def load(
    store: Annotated[Path, typer.Option("--store", help="the store to serve (read only, unless --ingest-store)")],
    replicas: Annotated[int, typer.Option("--replicas", min=1, max=2, help="`rag serve` processes on the store")] = 1,
    users: Annotated[str, typer.Option("--users", help="concurrent users, one case each (comma-separated)")] = "1,8,32",
    duration: Annotated[int, typer.Option("--duration", min=1, help="seconds per case")] = 60,
    ingest: Annotated[
        Path | None, typer.Option("--ingest", help="also run each case while `rag ingest FILE` runs beside it")
    ] = None,
    ingest_store: Annotated[
        Path | None, typer.Option("--ingest-store", help="where that ingest writes (default: fresh temporary stores)")
    ] = None,
    wait: Annotated[str | None, typer.Option("--wait", help="think time a,b seconds (default: none)")] = None,
    questions: Annotated[
        Path | None, typer.Option("--questions", help="jsonl with a `question` field (default: news, else seeds)")
    ] = None,
    warmup: Annotated[
        int | None, typer.Option("--warmup", min=1, help="warm-up questions per server (default: all, once)")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="the markdown table")] = Path("rag/eval/results/load.md"),
) -> None:
    """Load test `rag serve` with locust: throughput and latency per user count (markdown table)."""
    need_extra("load", "locust")
    import shlex
    import sys

    from .load.run import run_load

    try:
        counts = [int(u) for u in users.split(",") if u.strip()]
        if not counts or min(counts) < 1:
            raise ValueError
    except ValueError:
        raise fail(f"--users wants positive whole numbers separated by commas, not {users!r}") from None
    if wait is not None:
        try:
            a, b = (float(x) for x in wait.split(","))
        except ValueError:
            raise fail(f"--wait wants two numbers a,b (seconds), not {wait!r}") from None
        if not 0 <= a <= b:
            raise fail(f"--wait wants 0 <= a <= b, not {wait!r}")
    try:
        text, _ = run_load(
            store,
            replicas=replicas,
            users=counts,
            duration_s=duration,
            ingest=ingest,
            ingest_store=ingest_store,
            wait=wait,
            questions=questions,
            warmup=warmup,
            out=out,
            command="rag " + shlex.join(sys.argv[1:]),
            say=lambda m: typer.echo(m, err=True),
        )
    except (FileNotFoundError, RuntimeError, TimeoutError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(text)
    typer.echo(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_)
    app.command()(bench)
    app.command()(load)
