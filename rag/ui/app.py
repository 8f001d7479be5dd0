"""The chat page: ask, read the cited sentences in their articles, follow up, add articles.

`build(engine)` makes the Gradio Blocks; `launch(engine, ...)` serves them (what `rag serve` calls).
Besides the page, the app exposes one stable API endpoint, `/ask` (see README), that returns the
same JSON object as `rag ask --json`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from rag import SUFFIXES, Answer, Engine, FeedFollower, Filters, StoreError, Turn, parse_day

from . import render
from .auth import ClientAddress, throttled_auth
from .rate_limit import RateLimit
from .slots import FairSlots
from .style import CITE_JS, CSS, THEME_FONTS, VIEWER_JS

# How often an open page re-reads the header while `rag serve --follow` runs.
FEEDS_REFRESH_S = 30.0

EXAMPLES = [
    "Who guaranteed the security of Russian bases?",
    "Who fled to Moscow?",
]
HELP = (
    "Answers quote the exact sentences they rely on (or, with a language model, cite them after "
    "every sentence, and each sentence is checked against what it cites before it is shown); click "
    "a number like **[1]** to read the sentence in its article. When the articles don't answer a "
    "question, the page says so "
    "instead of guessing. Follow-up questions (\u201cWho granted him asylum?\u201d) use the "
    "conversation; the query actually searched for is shown under the answer. **Clear** starts over."
)
SETTINGS_HELP = (
    "**As of**: read nothing published later (\u201cthis week\u201d ends here). **From / To**: "
    "only articles in that range (a start date drops undated ones). **Sources**: only these "
    "publishers (empty: all). **Passages**: how many passages to read (more finds more, slower)."
)
# The page redraws the chat at most this often while a model streams (every token would send
# the whole conversation to the browser each time).
DRAFT_REFRESH_S = 0.08


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`user:password` (from --auth or $RAG_AUTH) -> Gradio's auth tuple; None means no password."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth wants the form user:password (both parts non-empty)")
    return user, password


def day_field(value: str | float | None, label: str) -> dt.date | None:
    try:
        return parse_day(value)
    except ValueError as exc:
        raise gr.Error(f"{label} {exc}") from None


class Page:
    """The handlers behind the page, over one Engine. Questions run side by side (the engine's
    reads are safe across threads: SQLite connections are per thread, Chroma and the keyword
    index are read-only while asked); an upload holds the store's write lock, never a question."""

    def __init__(self, engine: Engine, feeds: FeedFollower | None = None) -> None:
        self.engine = engine
        self.feeds = feeds  # `rag serve --follow`: its status shows in the header
        self.rate = RateLimit(engine.config.page_max_questions, engine.config.page_question_window_s)
        self.api_slots = FairSlots(engine.config.serve_concurrency)  # the /ask API's, outside Gradio's queue

    # --- asking ----------------------------------------------------------------------------
    def request(
        self,
        question: str,
        as_of: str | float | None,
        date_from: str | float | None,
        date_to: str | float | None,
        sources: list[str] | None,
        top_k: float | None,
    ) -> dict[str, Any]:
        """Check the page's inputs; the keyword arguments for `Engine.ask` (a clear error if bad)."""
        question = (question or "").strip()
        if not question:
            raise gr.Error("Type a question first.")
        limit = self.engine.config.max_question_chars
        if len(question) > limit:  # refused before it is shown in the chat, and not repeated
            raise gr.Error(
                f"The question is too long ({len(question):,} characters; at most {limit:,}): "
                "ask about one thing at a time."
            )
        filters = Filters(
            date_from=day_field(date_from, "From"),
            date_to=day_field(date_to, "To"),
            sources=tuple(s for s in (sources or []) if s),
        )
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            raise gr.Error("The date range is empty: \u201cFrom\u201d is after \u201cTo\u201d.")
        return {
            "question": question,
            "as_of": day_field(as_of, "As of"),
            "filters": filters,
            "top_k": int(top_k) if top_k else None,
        }

    def limit(self, request: gr.Request | None) -> None:
        """Refuse, with a clear message, a client over its question rate (`RateLimit`)."""
        client = request.client.host if request is not None and request.client else ""
        if not self.rate.allow(client):
            raise gr.Error(self.rate.message())

    def ask(self, request: dict[str, Any], history: list[Turn] | None) -> Answer:
        return self.engine.ask(**request, history=history or None)

    def ask_stream(self, request: dict[str, Any], history: list[Turn] | None) -> Iterator[str | Answer]:
        """The engine's stream (text as the model writes it, then the checked `Answer`)."""
        yield from self.engine.ask_stream(**request, history=history or None)

    def respond(
        self,
        question: str,
        chat: list[dict[str, Any]],
        history: list[Turn],
        as_of: str | None,
        date_from: str | None,
        date_to: str | None,
        sources: list[str] | None,
        top_k: float,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Chat handler: show the question, the model's text as it comes (a draft), then the
        checked answer with its citations."""
        req = self.request(question, as_of, date_from, date_to, sources, top_k)
        self.limit(request)
        chat = list(chat or [])
        history = list(history or [])
        chat += [
            {"role": "user", "content": render.question_html(req["question"])},
            {"role": "assistant", "content": render.pending_html()},
        ]
        yield chat, "", gr.skip(), history, gr.skip()
        draft = ""
        shown = time.monotonic()
        ans: Answer | None = None
        try:
            for piece in self.ask_stream(req, history):
                if isinstance(piece, Answer):
                    ans = piece
                    break
                draft += piece
                if time.monotonic() - shown >= DRAFT_REFRESH_S:
                    chat[-1] = {"role": "assistant", "content": render.pending_html(draft)}
                    yield chat, "", gr.skip(), history, gr.skip()
                    shown = time.monotonic()
            if ans is None:
                raise RuntimeError("the answerer ended without an answer")
        except Exception as exc:  # noqa: BLE001 (shown where the answer would be; the question is kept)
            chat[-1] = {"role": "assistant", "content": render.error_html(f"{type(exc).__name__}: {exc}")}
            yield chat, req["question"], gr.skip(), history, gr.skip()
            return
        chat[-1] = {"role": "assistant", "content": render.answer_html(ans)}
        history += [("user", req["question"]), ("assistant", ans.answer)]
        yield chat, "", self.sources_panel(ans), history, render.VIEWER_EMPTY

    @staticmethod
    def cleared() -> tuple[Any, ...]:
        """A fresh conversation: empty chat, question, sources, history and viewer."""
        return [], "", render.SOURCES_EMPTY, [], render.VIEWER_EMPTY

    def sources_panel(self, ans: Answer) -> str:
        arts = self.engine.articles(c.article_id for c in ans.citations)
        return render.sources_html(ans, arts)

    def open_citation(self, evt: gr.EventData) -> str:
        """A click on a citation (in the chat or the sources panel) opens its article."""
        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        art_id = str(data.get("article") or "")
        if not art_id:
            return gr.skip()
        try:
            start, end = int(data.get("start", 0)), int(data.get("end", 0))
        except (TypeError, ValueError):
            start = end = 0
        art = self.engine.article(art_id)
        return render.article_html(art, start, end) if art else render.missing_article_html(art_id)

    def api_ask(
        self,
        question: str,
        history: list[list[str]] | None = None,
        as_of: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        sources: list[str] | None = None,
        top_k: int | None = None,
        request: gr.Request | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the stored articles, citing the sentences used.

        Args:
            question: the question.
            history: earlier turns as [role, text] pairs (role "user" or "assistant"), for follow-ups.
            as_of: YYYY-MM-DD; "this week" ends here and nothing later is read.
            date_from: only articles on/after YYYY-MM-DD.
            date_to: only articles on/before YYYY-MM-DD.
            sources: only these sources (e.g. "cnn.com").
            top_k: how many chunks to read.
        Returns:
            The `rag ask --json` object (question, answer, refused, citations, query, ...), except
            that citations leave out `path`.
        """
        req = self.request(question, as_of, date_from, date_to, sources, top_k)
        self.limit(request)
        try:  # the engine checks the history's shape and size
            with self.api_slots:
                ans = self.ask(req, history)  # type: ignore[arg-type]
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        out = ans.to_json_dict()
        # A server-side file path means nothing to a remote client (and gradio_client would
        # mistake a dict with a `path` for a file to download), so the API leaves it out.
        out["citations"] = [c.model_dump(mode="json", exclude={"path"}) for c in ans.citations]
        return out

    # --- corpus ----------------------------------------------------------------------------
    def corpus(self) -> tuple[str, Any]:
        s = self.engine.stats()
        feeds = self.feeds.status() if self.feeds else ""
        return render.stats_html(s, feeds), gr.update(choices=list(render.source_choices(s)))

    def add_files(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any]:  # noqa: B008 (Gradio hands its progress tracker in through this default)
        """Copy the uploads into the store's `uploads/` folder (so re-uploading an edited file
        updates its article instead of adding a twin), then ingest them. Questions go on
        meanwhile: the ingest holds the store's write lock, not the page's."""
        if not files:
            raise gr.Error("Choose one or more files first.")
        limit = self.engine.config.max_upload_mb
        for f in files:
            size = Path(f).stat().st_size
            if size > limit * 1e6:
                raise gr.Error(
                    f"{upload_name(f)} is {size / 1e6:.1f} MB, over the upload limit of "
                    f"{limit:g} MB (RAG_MAX_UPLOAD_MB); nothing was added."
                )
        upload_dir = Path(self.engine.config.store) / "uploads"
        upload_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for f in files:
            dest = upload_dir / upload_name(f)
            shutil.copyfile(f, dest)
            paths.append(dest)
        progress((0, len(paths)), desc="Reading files")

        def on_progress(done: int, total: int | None) -> None:  # no total while files are streamed
            progress((done, total), desc="Adding articles", unit="articles")

        try:
            report = self.engine.ingest(paths, progress=False, on_progress=on_progress)
        except StoreError as exc:  # another process is writing, or the store is read-only
            raise gr.Error(str(exc)) from None
        # A file refused whole (over a limit, unreadable) stored nothing: it isn't kept either.
        # (A record's own failure starts with its line or record number; the rest of it was read.)
        refused = {f.path for f in report.failed if not f.reason.startswith(("line ", "record "))}
        for dest in paths:
            if str(dest) in refused:
                dest.unlink(missing_ok=True)
        stats, choices = self.corpus()
        return report.summary(), stats, choices


def upload_name(path: str) -> str:
    """The upload's own file name, never a path: no `..`, no folder, no hidden file."""
    name = Path(path.replace("\\", "/")).name.lstrip(".")
    return name or "upload.txt"


def build(engine: Engine, feeds: FeedFollower | None = None) -> gr.Blocks:
    """The page's Blocks (not launched)."""
    page = Page(engine, feeds)
    corpus = engine.stats()
    health = engine.check(deep=False)  # a store that fails its check says so in the header
    file_types = sorted({s if s != ".jsonl.gz" else ".gz" for s in SUFFIXES})
    with gr.Blocks(title="Ask the news") as demo:
        with gr.Row(elem_id="rag-header"):
            gr.HTML(
                '<div class="rag-title">Ask the news</div><div class="rag-subtitle">Short answers '
                "that quote the exact sentences they come from \u2014 or say plainly that the "
                "articles don\u2019t tell.</div>",
                js_on_load=None,
            )
            stats = gr.HTML(
                render.stats_html(corpus, feeds.status() if feeds else ""), elem_id="rag-stats", js_on_load=None
            )
        if not health.ok:
            gr.HTML(render.check_warning_html(health.problems), elem_id="rag-check-warning", js_on_load=None)
        history = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,
                    elem_id="rag-chat",
                    height=460,
                    buttons=[],  # a copy button would copy the message's HTML
                    feedback_options=None,
                    group_consecutive_messages=False,
                    layout="bubble",
                    placeholder="<b>Ask a question about the articles.</b><br>Answers cite the sentences they rely on.",
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        placeholder="Ask about the articles\u2026",
                        show_label=False,
                        scale=6,
                        elem_id="rag-question",
                        max_lines=4,
                        autofocus=True,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="rag-ask")
                    clear_btn = gr.Button("Clear", variant="secondary", scale=1, min_width=80, elem_id="rag-clear")
                gr.Examples(EXAMPLES, inputs=question, label="Try")
                with gr.Accordion("Search settings", open=False, elem_id="rag-settings"):
                    gr.Markdown(SETTINGS_HELP, elem_classes="rag-note")
                    with gr.Row():
                        as_of = gr.DateTime(
                            include_time=False, type="string", label="As of", min_width=150, elem_id="rag-as-of"
                        )
                        date_from = gr.DateTime(
                            include_time=False, type="string", label="From", min_width=150, elem_id="rag-from"
                        )
                        date_to = gr.DateTime(
                            include_time=False, type="string", label="To", min_width=150, elem_id="rag-to"
                        )
                    with gr.Row():
                        sources = gr.Dropdown(
                            choices=list(render.source_choices(corpus)),
                            multiselect=True,
                            allow_custom_value=True,
                            label="Sources",
                            scale=3,
                            elem_id="rag-source-filter",
                        )
                        top_k = gr.Slider(
                            1, 20, value=engine.config.top_k, step=1, label="Passages", scale=2, elem_id="rag-top-k"
                        )
                with gr.Accordion("Add articles", open=False, elem_id="rag-add"):
                    gr.Markdown(
                        "Formats: " + ", ".join(SUFFIXES) + ". Files already added are "
                        "skipped; a file with the name of an earlier one replaces it.",
                        elem_classes="rag-note",
                    )
                    files = gr.File(
                        file_count="multiple",
                        file_types=file_types,
                        type="filepath",
                        label="Files",
                        elem_id="rag-files",
                        height=140,
                    )
                    add_btn = gr.Button("Add to the collection", elem_id="rag-add-btn")
                    summary = gr.Textbox(label="Ingest summary", interactive=False, lines=2, elem_id="rag-summary")
            with gr.Column(scale=2, min_width=320):
                gr.HTML('<div class="rag-panel-title">Sources</div>', js_on_load=None)
                sources_panel = gr.HTML(render.SOURCES_EMPTY, js_on_load=CITE_JS, elem_id="rag-sources")
                gr.HTML('<div class="rag-panel-title">Article</div>', js_on_load=None)
                viewer = gr.HTML(render.VIEWER_EMPTY, js_on_load=VIEWER_JS, elem_id="rag-viewer")
        gr.Markdown(HELP, elem_id="rag-help")

        chat_inputs = [question, chatbot, history, as_of, date_from, date_to, sources, top_k]
        chat_outputs = [chatbot, question, sources_panel, history, viewer]
        for trigger in (question.submit, ask_btn.click):
            trigger(page.respond, chat_inputs, chat_outputs, api_visibility="private", concurrency_id="chat")
        clear_btn.click(page.cleared, None, chat_outputs, api_visibility="private")
        sources_panel.click(page.open_citation, None, viewer, api_visibility="private")
        # uploads take turns (each holds the store's write lock); questions go on meanwhile
        add_btn.click(page.add_files, files, [summary, stats, sources], api_visibility="private", concurrency_limit=1)
        # the chat's own trash icon forgets the history too
        chatbot.clear(page.cleared, None, chat_outputs, api_visibility="private")
        demo.load(page.corpus, None, [stats, sources], api_visibility="private", show_progress="hidden")
        if feeds:  # what the follower brought in shows without a reload
            gr.Timer(FEEDS_REFRESH_S).tick(
                page.corpus, None, [stats, sources], api_visibility="private", show_progress="hidden"
            )
        # Answered directly, not through Gradio's queue: one POST (/gradio_api/run/ask) returns
        # the answer. The queue's two steps (POST, then an event stream) cost the server more
        # than the answer: 32 users, first-time questions, one replica: 47.3 / 47.9 against
        # 37.7 / 39.7 questions/s, p50 640 against 790 ms (cold-load.md). Its concurrency:
        # Page.api_slots. gradio_client and `/gradio_api/call/ask` still work.
        gr.api(page.api_ask, api_name="ask", queue=False)
    return demo


def launch(
    engine: Engine,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    share: bool = False,
    block: bool = True,
    feeds: FeedFollower | None = None,
) -> gr.Blocks:
    """Serve the page. Safe defaults: local address only, no share link unless asked. With
    `feeds`, the follower polls in the background and the header says when it last did."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Gradio's queue summarises its last 10,000 events with pandas after every event (for its
    # monitoring page, which we don't serve): at 40 questions/s that was 8% of the server's time
    # and grew with the number of events served. Summarise 1,000 events once per 1,000.
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    credentials = parse_auth(auth)  # a malformed value fails before anything slow starts
    cfg = engine.config
    print(f"answering with: {engine.config.backend}", flush=True)
    _ = engine.answerer  # a model loads (or a missing extra / model file fails) before the page opens
    if engine.stats().articles:
        print("loading the models\u2026", flush=True)
        engine.warm_up()  # so the first question doesn't wait for them (spaCy's NER alone: 1.5 s)
    demo = build(engine, feeds)
    if feeds:
        feeds.start(on_poll=lambda poll: print(f"feeds: {poll.line()}", flush=True))
    if cfg.chroma_url:  # a replica: follow what the others write to the server
        engine.follow_server()
    demo.queue(default_concurrency_limit=cfg.serve_concurrency)
    demo.launch(
        server_name=host,
        server_port=port,
        # Gradio awaits a coroutine function here, though its annotation names only plain ones
        auth=throttled_auth(  # type: ignore[arg-type]
            *credentials, max_failures=cfg.auth_max_failures, window_s=cfg.auth_window_s
        )
        if credentials
        else None,
        share=share,
        theme=gr.themes.Soft(primary_hue="indigo", font=THEME_FONTS, font_mono=["ui-monospace", "monospace"]),
        css=CSS,
        show_error=True,
        ssr_mode=False,
        footer_links=["api"],
        prevent_thread_lock=not block,
        max_file_size=f"{cfg.max_upload_mb:g}mb",
        # the client's address for the login throttle (per client, never the whole page)
        app_kwargs={"middleware": [Middleware(ClientAddress)]} if credentials else None,
    )
    return demo
