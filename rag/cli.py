"""The `rag` command line: ingest, ask, stats, delete (and serve, eval, bench)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .config import RagConfig
from .llm import LLMError
from .models import Answer, Filters


def bad_argument() -> str | None:
    """The first command-line argument that is not valid UTF-8 (Python keeps such bytes as
    lone surrogates, which fail later, deep inside, with a traceback), or None."""
    for arg in sys.argv[1:]:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return None


class RagApp(typer.Typer):
    """Typer, plus one clear line instead of a traceback for arguments that are not UTF-8 and
    for stores that can't be used (the `rag` script calls the app object itself)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .store_guard import StoreError

        if (arg := bad_argument()) is not None:
            typer.secho(f"error: the argument {arg!r} is not valid UTF-8; rename the file or fix "
                        "the terminal's encoding", fg=typer.colors.RED, err=True)
            raise SystemExit(2)
        try:
            return super().__call__(*args, **kwargs)
        except StoreError as exc:  # --store on a file or someone else's folder; busy; read-only
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise SystemExit(2) from None


app = RagApp(add_completion=False, no_args_is_help=True,
             help="Question answering over news articles, with cited sentences. Offline.")

StoreOpt = Annotated[
    Optional[Path],
    typer.Option("--store", help="store folder (default: $RAG_STORE, else ./.rag)", show_default=False),
]
DeviceOpt = Annotated[str, typer.Option("--device", help="embedding device: cpu, cuda or auto")]


def config_for(store: Path | None, **update: object) -> RagConfig:
    cfg = RagConfig()
    changes = {k: v for k, v in update.items() if v is not None}
    if store is not None:
        changes["store"] = store
    return cfg.model_copy(update=changes) if changes else cfg


def engine_for(store: Path | None, **update: object):  # type: ignore[no-untyped-def]
    from .engine import Engine

    return Engine(config=config_for(store, **update))


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def parse_day(value: str | None, option: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} wants a date as YYYY-MM-DD, not {value!r}") from None


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders of articles")],
    store: StoreOpt = None,
    device: DeviceOpt = "cpu",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Add articles (txt, md, html, pdf, json, jsonl, jsonl.gz); unchanged ones are skipped."""
    eng = engine_for(store, device=device)
    report = eng.ingest(paths, progress=not quiet)
    typer.echo(report.summary())
    stats = eng.stats()
    typer.echo(f"store {eng.config.store}: {stats.articles} articles, {stats.chunks} chunks")
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(code=1)


BackendOpt = Annotated[Optional[str], typer.Option(
    "--backend", help="who answers: extractive (default, quotes), llamacpp, openai or ollama (`pip install .[llm]`)")]


def print_answer(ans: Answer, *, body: bool = True) -> None:
    """The answer (unless it was just streamed), who answered, what was removed, the sources."""
    if body:
        typer.secho(ans.answer, fg=typer.colors.YELLOW if ans.refused else None)
    if ans.generated is not None:
        typer.secho(f"(answered by: {ans.backend})", dim=True)
    for sentence in ans.removed:
        typer.secho(f"(not supported by its sources: \u201c{sentence}\u201d)", dim=True)
    if ans.refused:
        return
    if ans.query != ans.question:
        typer.secho(f"(searched for: {ans.query})", dim=True)
    typer.echo("\nSources:")
    for c in ans.citations:
        date = c.date.isoformat() if c.date else "undated"
        typer.echo(f"[{c.n}] {c.title or c.article_id} ({date}) {c.url or c.path}")
        typer.echo(f"    \u201c{c.quote}\u201d")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD: 'this week' ends here")] = None,
    date_from: Annotated[Optional[str], typer.Option("--from", help="only articles on/after YYYY-MM-DD")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="only articles on/before YYYY-MM-DD")] = None,
    source: Annotated[Optional[list[str]], typer.Option("--source", help="only this source (repeatable)")] = None,
    top_k: Annotated[Optional[int], typer.Option("--top-k", min=1, max=50, help="chunks to read")] = None,
    backend: BackendOpt = None,
    stream: Annotated[bool, typer.Option("--stream", help="print the text as it is generated, then the checked answer")] = False,
) -> None:
    """Answer a question from the stored articles, citing the sentences used."""
    filters = Filters(date_from=parse_day(date_from, "--from"), date_to=parse_day(date_to, "--to"),
                      sources=tuple(source or ()))
    as_of_day = parse_day(as_of, "--as-of")
    if not question.strip():
        raise fail("the question is empty")
    eng = engine_for(store, backend=backend)
    if eng.stats().articles == 0:
        raise fail(f"the store {eng.config.store} has no articles yet: run `rag ingest PATH` first")
    try:
        if stream and not as_json:
            stream_answer(eng.ask_stream(question, as_of=as_of_day, filters=filters, top_k=top_k))
            return
        ans = eng.ask(question, as_of=as_of_day, filters=filters, top_k=top_k)
    except (LLMError, ValueError) as exc:  # a backend that can't run, an unknown backend
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(ans.to_json_dict(), ensure_ascii=False))
    else:
        print_answer(ans)


def stream_answer(pieces: Iterator[str | Answer]) -> None:
    """Text as it is produced (a draft: not yet checked), then the checked answer."""
    shown: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            shown.append(piece)
            typer.secho(piece, nl=False, dim=True)
            sys.stdout.flush()
            continue
        if not shown:  # nothing was drafted (the extractive answerer): just the answer
            print_answer(piece)
            continue
        typer.echo("")
        same = "".join(shown).strip() == piece.answer.strip()
        if not same:
            typer.secho("\nChecked against the sources:", bold=True)
        print_answer(piece, body=not same)


@app.command()
def stats(store: StoreOpt = None) -> None:
    """Articles, chunks, date range and sources in the store."""
    s = engine_for(store).stats()
    typer.echo(f"articles: {s.articles}\nchunks:   {s.chunks}")
    typer.echo(f"dates:    {s.first_date or '-'} .. {s.last_date or '-'}")
    for src, n in list(s.sources.items())[:10]:
        typer.echo(f"  {src or '(no source)'}: {n}")


@app.command()
def delete(article_id: Annotated[str, typer.Argument(help="the article id")], store: StoreOpt = None) -> None:
    """Remove an article everywhere (texts, vectors, keyword index)."""
    try:
        engine_for(store).delete(article_id)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    typer.echo(f"deleted {article_id}")


@app.command()
def check(
    store: StoreOpt = None,
    repair: Annotated[bool, typer.Option("--repair", help="mend what can be mended, and say what was done")] = False,
) -> None:
    """Verify that texts, vectors and keyword index agree; exit 1 on a problem."""
    report = engine_for(store).check(repair=repair)
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 7860,
    seed: Annotated[Optional[list[Path]], typer.Option("--ingest", help="ingest these first")] = None,
    auth: Annotated[Optional[str], typer.Option(help="user:password (or $RAG_AUTH)")] = None,
    share: Annotated[bool, typer.Option(help="make a public Gradio share link")] = False,
    backend: BackendOpt = None,
) -> None:
    """Start the chat page."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from ui.app import launch, parse_auth

    auth = auth or os.environ.get("RAG_AUTH")
    try:
        parse_auth(auth)
    except ValueError as exc:
        raise fail(f"--auth / RAG_AUTH: {exc}") from None
    eng = engine_for(store, backend=backend)
    if seed:
        typer.echo(eng.ingest(seed).summary())
    try:
        launch(eng, host=host, port=port, auth=auth, share=share)
    except (LLMError, ValueError) as exc:  # the backend is set up before the page opens
        raise fail(str(exc)) from None


@app.command("eval")
def eval_(
    suite: Annotated[str, typer.Option("--suite", help="seeds (the CI gate), news or rgb")] = "seeds",
    questions: Annotated[Optional[Path], typer.Option("--questions", help="questions file of the suite's schema")] = None,
    store: StoreOpt = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="only the first N questions")] = None,
    report_dir: Annotated[Optional[Path], typer.Option("--report", help="report folder (default reports/SUITE-TIME)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    backend: BackendOpt = None,
) -> None:
    """Score answers (retrieval, accuracy, faithfulness, citations, refusal, latency); write a report.

    --store reuses a store (e.g. the whole news corpus); without it the suite builds its own."""
    from eval.report import print_table
    from eval.run import run_suite

    try:
        run = run_suite(suite, folder=report_dir, config=config_for(None, backend=backend), store=store,
                        questions=questions, limit=limit, progress=not quiet, say=typer.echo)
    except (ValueError, FileNotFoundError, LLMError) as exc:
        raise fail(str(exc)) from None
    print_table(run.report)
    typer.echo(f"report: {run.folder}/ (" + ", ".join(p.name for p in run.files) + ")")
    if run.report.gate is not None:
        if run.report.gate:
            typer.secho("gate FAILED: " + "; ".join(run.report.gate), fg=typer.colors.RED, err=True)
            raise typer.Exit(code=1)
        typer.secho("gate passed (eval/thresholds.toml)", fg=typer.colors.GREEN)


@app.command()
def bench(
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="only this many articles (quick run)")] = None,
    store: Annotated[Optional[Path], typer.Option(
        "--store", help="only measure queries on (a copy of) this existing store")] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for bench.json and bench.png")] = Path("reports"),
    quality: Annotated[bool, typer.Option(help="also ingest with torch and compare top-5 retrieval")] = True,
    int8: Annotated[bool, typer.Option(help="also try OpenVINO int8, calibrated on these chunks")] = True,
    llm: Annotated[Optional[str], typer.Option(
        "--llm", help="also time generation with this backend (llamacpp, openai, ollama): first token, total")] = None,
) -> None:
    """Speed of ingestion and answering on the news benchmark data; writes JSON and a plot."""
    from eval.bench import plot, run_bench, table

    if store is not None and not (store / "articles.sqlite").exists():
        raise fail(f"{store} is not a store (no articles.sqlite in it)")
    try:
        result = run_bench(limit=limit, store=store, quality=quality, int8=int8, llm=llm,
                           log=lambda m: typer.echo(m, err=True))
    except (FileNotFoundError, LLMError, ValueError) as exc:
        raise fail(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    name = "bench-store" if store is not None else "bench"
    (out / f"{name}.json").write_text(json.dumps(result, indent=2))
    plot(result, out / f"{name}.png")
    typer.echo(table(result))
    typer.echo(f"wrote {out / f'{name}.json'} and {out / f'{name}.png'}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
