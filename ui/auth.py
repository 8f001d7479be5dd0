"""The page's password check, throttled: a wrong guess costs a second, and after a few in a
minute every attempt is refused until the minute has passed (50 guesses took 0.63 s before)."""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

AuthFn = Callable[[str, str], Coroutine[Any, Any, bool]]


def throttled_auth(
    user: str,
    password: str,
    *,
    max_failures: int = 5,
    window_s: float = 60.0,
    delay_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> AuthFn:
    """Gradio's `auth` callable. Failures are counted for the whole page, not per user name, so
    changing the name buys nothing; the price is that a locked-out page refuses its owner too
    for up to `window_s`. Async, so the delay never blocks the server's event loop."""
    failures: deque[float] = deque()
    lock = threading.Lock()

    async def auth(username: str, given: str) -> bool:
        now = clock()
        with lock:
            while failures and now - failures[0] > window_s:
                failures.popleft()
            locked = len(failures) >= max_failures
        if not locked:
            ok = hmac.compare_digest(username.encode(), user.encode()) & hmac.compare_digest(
                given.encode(), password.encode()
            )
            if ok:
                return True
        with lock:
            failures.append(now)
        await asyncio.sleep(delay_s)
        return False

    return auth
