"""The library's own commands (ingest, ask, stats, delete) and what the faces' commands share
with them: the `--store` and `--backend` options, `config_for`, `engine_for` and `fail`."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from rag.answerers.llm import LLMError
from rag.config import RagConfig
from rag.engine import Engine
from rag.models import Answer, Filters, dating_note, parse_day


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
    for stores that can't be used (the `rag` script may call the app object itself)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from rag.store.guard import StoreError

        if (arg := bad_argument()) is not None:
            typer.secho(
                f"error: the argument {arg!r} is not valid UTF-8; rename the file or fix the terminal's encoding",
                fg=typer.colors.RED,
                err=True,
            )
            raise SystemExit(2)
        try:
            return super().__call__(*args, **kwargs)
        except StoreError as exc:  # --store on a file or someone else's folder; busy; read-only
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise SystemExit(2) from None


app = RagApp(
    add_completion=False,
    no_args_is_help=True,
    help="Question answering over news articles, with cited sentences. Offline.",
)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="store folder (default: $RAG_STORE, else ./.rag)", show_default=False),
]
BackendOpt = Annotated[
    str | None,
    typer.Option(
        "--backend", help="who answers: extractive (default, quotes), llamacpp, openai or ollama (`pip install .[llm]`)"
    ),
]
DeviceOpt = Annotated[str, typer.Option("--device", help="embedding device: cpu, cuda or auto")]


def config_for(store: Path | None, **update: object) -> RagConfig:
    cfg = RagConfig()
    changes = {k: v for k, v in update.items() if v is not None}
    if store is not None:
        changes["store"] = store
    return cfg.model_copy(update=changes) if changes else cfg


def engine_for(store: Path | None, **update: object) -> Engine:
    return Engine(config=config_for(store, **update))


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def day_option(value: str | None, option: str) -> dt.date | None:
    try:
        return parse_day(value)
    except ValueError as exc:
        raise fail(f"{option} {exc}") from None


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files or folders of articles, page URLs, RSS or Atom feed URLs")],
    store: StoreOpt = None,
    device: DeviceOpt = "cpu",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Add articles (txt, md, html, pdf, json, jsonl, jsonl.gz; pages and feeds by URL); unchanged ones are skipped."""
    eng = engine_for(store, device=device)
    report = eng.ingest(paths, progress=not quiet)
    typer.echo(report.summary())
    stats = eng.stats()
    typer.echo(f"store {eng.config.store}: {stats.articles} articles, {stats.chunks} chunks")
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(code=1)


# Terminal control sequences an article may carry: OSC (window title, hidden hyperlinks: "\x1b]8;;url"),
# CSI (colours, cursor moves), then any other control character but newline and tab.
_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with nothing that a terminal would obey rather than show."""
    return _CONTROL.sub("", _CSI.sub("", _OSC.sub("", text)))


def print_answer(ans: Answer, *, body: bool = True) -> None:
    """The answer (unless it was just streamed), who answered, what was removed, the sources;
    article text is made `printable` first."""
    if body:
        typer.secho(printable(ans.answer), fg=typer.colors.YELLOW if ans.refused else None)
    if ans.generated is not None:
        typer.secho(f"(answered by: {ans.backend})", dim=True)
    for sentence in ans.removed:
        typer.secho(f"(not supported by its sources: \u201c{printable(sentence)}\u201d)", dim=True)
    if ans.refused:
        return
    if ans.query != ans.question:
        typer.secho(f"(searched for: {printable(ans.query)})", dim=True)
    typer.echo("\nSources:")
    for c in ans.citations:
        date = c.date.isoformat() if c.date else "undated"
        if c.date and (note := dating_note(c.dated_by)):
            date += f", {note}"
        if c.also_in:
            date += f"; also in {c.also_in} other article{'s' * (c.also_in != 1)}"
        typer.echo(printable(f"[{c.n}] {c.title or c.article_id} ({date}) {c.url or c.path}"))
        typer.echo(f"    \u201c{printable(c.quote)}\u201d")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD: 'this week' ends here")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="only articles on/after YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="only articles on/before YYYY-MM-DD")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="only this source (repeatable)")] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50, help="chunks to read")] = None,
    backend: BackendOpt = None,
    stream: Annotated[
        bool, typer.Option("--stream", help="print the text as it is generated, then the checked answer")
    ] = False,
    keep_unsupported: Annotated[
        bool | None,
        typer.Option(
            "--keep-unsupported/--remove-unsupported",
            help="a generated sentence its sources don't support: shown marked (unverified), or removed (default)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Answer a question from the stored articles, citing the sentences used."""
    filters = Filters(
        date_from=day_option(date_from, "--from"), date_to=day_option(date_to, "--to"), sources=tuple(source or ())
    )
    as_of_day = day_option(as_of, "--as-of")
    if not question.strip():
        raise fail("the question is empty")
    eng = engine_for(store, backend=backend, keep_unsupported=keep_unsupported)
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
            typer.secho(printable(piece), nl=False, dim=True)
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
    """Articles, stories, chunks, date range and sources in the store."""
    s = engine_for(store).stats()
    typer.echo(f"articles: {s.articles}\nstories:  {s.stories} (articles with nearly the same text count once)")
    typer.echo(f"chunks:   {s.chunks}")
    typer.echo(f"dates:    {s.first_date or '-'} .. {s.last_date or '-'}")
    for src, n in list(s.sources.items())[:10]:
        typer.echo(f"  {src or '(no source)'}: {n}")


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
def publish(
    to: Annotated[str, typer.Option("--to", help="the Chroma server's URL, e.g. http://10.0.0.5:8000")],
    store: StoreOpt = None,
) -> None:
    """Copy a store (vectors and articles) to a Chroma server; replicas with RAG_CHROMA_URL set
    then answer from it, each on its own folder, without embedding anything again."""
    from rag.store.replica import publish as copy_to

    articles, vectors = copy_to(engine_for(store).store, to)
    typer.echo(f"published {articles} articles and {vectors} vectors to {to}")
    typer.echo(f"serve it with: RAG_CHROMA_URL={to} rag serve --store NEW_FOLDER")


@app.command()
def delete(article_id: Annotated[str, typer.Argument(help="the article id")], store: StoreOpt = None) -> None:
    """Remove an article everywhere (texts, vectors, keyword index)."""
    try:
        engine_for(store).delete(article_id)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    typer.echo(f"deleted {article_id}")


@app.command()
def follow(
    feeds: Annotated[Path, typer.Argument(help="a file of feed and page URLs, one per line (# comments)")],
    store: StoreOpt = None,
    every: Annotated[str, typer.Option("--every", help="time between polls: 90s, 15m, 1h")] = "15m",
    once: Annotated[bool, typer.Option("--once", help="poll once and stop (for cron)")] = False,
) -> None:
    """Keep the store current with feeds: poll them, add new and edited articles (Ctrl-C stops)."""
    from rag.follow import FeedFollower, parse_every, read_feeds

    try:
        urls, every_s = read_feeds(feeds), parse_every(every)
    except ValueError as exc:
        raise fail(str(exc)) from None
    follower = FeedFollower(engine_for(store), urls, every_s)
    if not once:
        typer.echo(f"following {len(urls)} URL(s) every {every}; Ctrl-C stops")
    try:
        follower.run(on_poll=lambda poll: typer.echo(poll.line()), once=once)
    except KeyboardInterrupt:
        typer.echo("stopped")
