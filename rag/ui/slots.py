"""At most n callers at once, the rest served in the order they came.

The `/ask` API answers outside Gradio's queue (one plain request: 1.2x the questions per second
of the queue's two-step call at 32 users, rag/eval/results/cold-load.md), so it bounds its own
concurrency. A `threading.Semaphore` would bound it too, but a caller arriving as a slot frees
can take it before one that has waited: the wait of the unlucky grows, and with it the p95. Here
a freed slot is handed to the oldest waiter."""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairSlots:
    """A FIFO semaphore: `with slots:` holds one of `n` slots; waiters get them oldest first."""

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ValueError(f"slots: at least 1, not {n}")
        self._free = n
        self._waiters: deque[threading.Lock] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiters.append(gate)
        gate.acquire()  # released by the caller that hands its slot over

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()  # the slot passes on, never freed in between
            else:
                self._free += 1

    def __enter__(self) -> FairSlots:
        self.acquire()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()
