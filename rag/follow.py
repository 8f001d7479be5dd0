"""Keeping a store current: `rag follow FEEDS_FILE --every 15m` (and `rag serve --follow`) polls
the feeds and pages named in a file, through `Engine.ingest`: each poll holds the store's write
lock while it stores (questions are never held by it); an unchanged feed costs one conditional
request and embeds nothing."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.engine import Engine
from rag.store.lock import StoreBusyError
from rag.text.web import is_url

# Polling a feed more often than this is impolite to its site and finds nothing new.
MIN_EVERY_S = 10.0


def read_feeds(path: Path) -> list[str]:
    """The URLs of a feeds file: one per line; blank lines and `#` comments are skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the feeds file {path}: {exc}") from None
    urls: list[str] = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not (is_url(line) and line.startswith(("http://", "https://"))):
            raise ValueError(f"{path}, line {n}: {line!r} is not an http(s) URL")
        urls.append(line)
    if not urls:
        raise ValueError(f"the feeds file {path} names no URL")
    return urls


def parse_every(text: str) -> float:
    """Seconds from "90s", "15m", "1h" or a plain number of seconds; at least MIN_EVERY_S."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not m:
        raise ValueError(f"--every {text!r}: give a duration such as 90s, 15m or 1h")
    seconds = float(m[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[m[2]]
    if seconds < MIN_EVERY_S:
        raise ValueError(f"--every {text!r}: at least {MIN_EVERY_S:g} s between polls")
    return seconds


@dataclass(frozen=True)
class Poll:
    """One poll's outcome, for the log line and the page's header."""

    at: dt.datetime
    added: int = 0
    updated: int = 0
    failed: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str = ""  # the whole poll failed (the store busy, say): tried again next time

    def line(self) -> str:
        when = self.at.strftime("%Y-%m-%d %H:%M:%S")
        if self.error:
            return f"{when} poll skipped: {self.error}"
        return (
            f"{when} added {self.added}, updated {self.updated}, failed {self.failed}; "
            f"{self.requests} web request{'s' * (self.requests != 1)} in {self.seconds:.1f}s"
        )


class FeedFollower:
    """Polls `urls` every `every_s` seconds into `engine`'s store, in a thread of its own."""

    def __init__(self, engine: Engine, urls: list[str], every_s: float) -> None:
        self.engine, self.urls, self.every_s = engine, urls, every_s
        self.last: Poll | None = None
        self.new_total = 0  # articles added or updated since the follower started
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> Poll:
        at = dt.datetime.now()
        try:
            rep = self.engine.ingest(self.urls, progress=False)
        except StoreBusyError as exc:
            poll = Poll(at, error=str(exc))
        else:
            poll = Poll(at, len(rep.added), len(rep.updated), len(rep.failed), rep.requests, rep.seconds)
            self.new_total += poll.added + poll.updated
        self.last = poll
        return poll

    def run(self, on_poll: Callable[[Poll], None] | None = None, once: bool = False) -> None:
        while not self._stop.is_set():
            poll = self.poll()
            if on_poll:
                on_poll(poll)
            if once or self._stop.wait(self.every_s):
                return

    def start(self, on_poll: Callable[[Poll], None] | None = None) -> None:
        self._thread = threading.Thread(target=self.run, args=(on_poll,), name="feed-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def status(self) -> str:
        """One line for the page's header."""
        if self.last is None:
            return f"feeds: first poll under way ({len(self.urls)} URL{'s' * (len(self.urls) != 1)})"
        when = self.last.at.strftime("%H:%M")
        if self.last.error:
            return f"feeds: last poll at {when} was skipped ({self.last.error})"
        return f"feeds: refreshed at {when}, {self.new_total} new since start, every {self.every_s / 60:g} min"
