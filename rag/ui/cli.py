"""The page's command, `rag serve`, added to the `rag` command line (see rag/cli/__init__.py).
Gradio loads only when the command runs: the rest of the command line never waits for it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Annotated

import typer

from rag import FeedFollower, LLMError, parse_every, read_feeds
from rag.cli import BackendOpt, StoreOpt, config_for, engine_for, fail

EXTRA = "pip install '.[ui]'"


def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 7860,
    seed: Annotated[list[Path] | None, typer.Option("--ingest", help="ingest these first")] = None,
    auth: Annotated[str | None, typer.Option(help="user:password (or $RAG_AUTH)")] = None,
    share: Annotated[bool, typer.Option(help="make a public Gradio share link")] = False,
    backend: BackendOpt = None,
    follow: Annotated[
        Path | None, typer.Option("--follow", help="poll the feed and page URLs in this file (as `rag follow`)")
    ] = None,
    every: Annotated[str, typer.Option("--every", help="with --follow: time between polls")] = "15m",
) -> None:
    """Start the chat page."""
    if importlib.util.find_spec("gradio") is None:
        raise fail(f"the chat page needs the `ui` extra (Gradio is not installed): run `{EXTRA}`")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from .app import launch, parse_auth

    configured = config_for(store).auth  # $RAG_AUTH
    auth = auth or (configured.get_secret_value() if configured else None)
    try:
        parse_auth(auth)
    except ValueError as exc:
        raise fail(f"--auth / RAG_AUTH: {exc}") from None
    busy = port_in_use(host, port)
    if busy:
        raise fail(f"port {port} on {host} is in use ({busy}): choose another with --port, e.g. --port {port + 1}")
    feeds: tuple[list[str], float] | None = None
    if follow is not None:
        try:
            feeds = read_feeds(follow), parse_every(every)
        except ValueError as exc:
            raise fail(str(exc)) from None
    eng = engine_for(store, backend=backend)
    if seed:
        typer.echo(eng.ingest(seed).summary())
    try:
        launch(eng, host=host, port=port, auth=auth, share=share, feeds=FeedFollower(eng, *feeds) if feeds else None)
    except (LLMError, ValueError) as exc:  # the backend is set up before the page opens
        raise fail(str(exc)) from None


def port_in_use(host: str, port: int) -> str | None:
    """Why `host:port` can't be served on (None when it can): checked before the ingest and the
    model load, so a taken port costs one line, not a minute and a traceback."""
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is not busy
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def register(app: typer.Typer) -> None:
    app.command()(serve)
