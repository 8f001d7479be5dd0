"""Events per client address in a sliding window: questions (a person asks one every few seconds;
a script asking 200 in 15 s held the page's queue for everyone) and failed logins (ui.auth)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimit:
    """At most `max_events` per `window_s` seconds from one client address."""

    def __init__(self, max_events: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_events, self.window_s, self.clock = max_events, window_s, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        """`client`'s events within the window (callers hold the lock); old ones, and addresses
        with none left, are forgotten."""
        for key in list(self._seen):
            times = self._seen[key]
            while times and now - times[0] > self.window_s:
                times.popleft()
            if not times:
                del self._seen[key]
        return self._seen.setdefault(client, deque())

    def full(self, client: str) -> bool:
        """Has `client` used its events in this window?"""
        with self._lock:
            return len(self._recent(client, self.clock())) >= self.max_events

    def note(self, client: str) -> None:
        """Count an event from `client`, whatever the limit."""
        with self._lock:
            now = self.clock()
            self._recent(client, now).append(now)

    def allow(self, client: str) -> bool:
        """Count an event from `client`; False (and not counted) when it is over the limit."""
        with self._lock:
            now = self.clock()
            times = self._recent(client, now)
            if len(times) >= self.max_events:
                return False
            times.append(now)
            return True

    def message(self) -> str:
        return (
            f"Too many questions from your address: at most {self.max_events} in {self.window_s:g} s. "
            "Wait a few seconds and ask again."
        )
