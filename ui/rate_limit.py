"""Questions per client address: a person asks one every few seconds; a script asking 200 in 15 s
held the page's queue for everyone."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimit:
    """At most `max_questions` per `window_s` seconds from one client address."""

    def __init__(self, max_questions: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_questions, self.window_s, self.clock = max_questions, window_s, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Count a question from `client`; False (and not counted) when it is over the limit."""
        now = self.clock()
        with self._lock:
            for key in list(self._seen):  # forget old questions, and addresses with none left
                times = self._seen[key]
                while times and now - times[0] > self.window_s:
                    times.popleft()
                if not times:
                    del self._seen[key]
            times = self._seen.setdefault(client, deque())
            if len(times) >= self.max_questions:
                return False
            times.append(now)
            return True

    def message(self) -> str:
        return (
            f"Too many questions from your address: at most {self.max_questions} in {self.window_s:g} s. "
            "Wait a few seconds and ask again."
        )
