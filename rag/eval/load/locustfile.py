"""Locust users that ask `rag serve`'s `/ask` API questions and check every citation is verbatim.

    python -m locust -f rag/eval/load/locustfile.py --headless -u 8 -r 8 -t 30s --host http://127.0.0.1:7860

(run from the repository root; `rag load` runs it for you). The environment:
  LOAD_HOSTS      comma-separated base URLs (else --host); user i asks LOAD_HOSTS[i % n]: the
                  client spreads its users round robin over the replicas, no proxy in between
  LOAD_QUESTIONS  a jsonl file with a `question` field (default: the news questions, else the seeds)
  LOAD_STORE_DB   the served store's articles.sqlite, to check quotes against (required)
  LOAD_WAIT       "a,b": think time between(a, b) seconds; default none (a closed loop: capacity)
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, constant, task
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS

from rag.eval.load.client import (
    RUN,
    ArticleTexts,
    ask_inputs,
    check_answer,
    default_questions,
    load_questions,
    parse_reply,
)

QUESTIONS = load_questions(Path(os.environ.get("LOAD_QUESTIONS") or default_questions()))
HOSTS = [h.strip().rstrip("/") for h in os.environ.get("LOAD_HOSTS", "").split(",") if h.strip()]
TEXTS = ArticleTexts(Path(os.environ["LOAD_STORE_DB"])) if os.environ.get("LOAD_STORE_DB") else None
_WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "").split(",") if x.strip()]
_numbers = itertools.count()


class Failed(Exception):
    """Why a question failed (the message locust shows in its failures table)."""


class Asker(FastHttpUser):
    wait_time = between(*_WAIT) if len(_WAIT) == 2 else constant(0)

    def __init__(self, environment: Any) -> None:
        self.length = 0
        self.session = uuid.uuid4().hex[:11]  # one Gradio session per user, as a page visitor has
        number = next(_numbers)
        if HOSTS:  # before FastHttpUser builds its client on self.host
            self.host = HOSTS[number % len(HOSTS)]
        super().__init__(environment)

    @task
    def ask(self) -> None:
        """One question = one POST, recorded as the request named `ask`. It goes through
        self.client with catch_response=True and no `with` block, which records nothing: only
        the event below."""
        if TEXTS is None:
            raise RuntimeError("LOAD_STORE_DB is not set: the citations can't be checked")
        question, as_of = random.choice(QUESTIONS)
        start_time = time.time()
        t0 = time.perf_counter()
        self.length = 0
        try:
            try:
                event, data = parse_reply(self.post(ask_inputs(question, as_of, self.session)))
            except ValueError as exc:
                raise Failed(str(exc)) from None
            if event == "error":
                raise Failed(f"error reply: {json.dumps(data)[:300]}")
            if reason := check_answer(data, TEXTS):
                raise Failed(reason)
            error: Failed | None = None
        except Failed as exc:
            error = exc
        self.environment.events.request.fire(
            request_type="POST",
            name="ask",
            response_time=(time.perf_counter() - t0) * 1000,
            response_length=self.length,
            exception=error,
            context={"question": question},
            start_time=start_time,
            url=RUN,
            response=None,
        )

    def post(self, body: dict[str, Any]) -> str:
        """The reply's text (an answer, or an error reply: HTTP 500 with its reason); Failed on a
        connection error or another HTTP status."""
        resp = self.client.request("POST", RUN, catch_response=True, json=body)
        content = resp.content or b""
        if resp.status_code not in (200, 500):
            try:
                resp.raise_for_status()
            except FAILURE_EXCEPTIONS as exc:
                raise Failed(f"POST {RUN}: {exc!r}") from None
            raise Failed(f"POST {RUN}: HTTP {resp.status_code} {content[:200]!r}")
        self.length += len(content)
        return content.decode("utf-8", errors="replace")
