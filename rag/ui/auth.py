"""The page's password check, throttled per client: a wrong guess costs a second, and after a
few in a minute from one address every attempt from that address is refused until the minute
has passed (50 guesses took 0.63 s before). Other addresses, the owner's among them, are not
affected: a lockout for the whole page let anyone who reached the port keep the owner out."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from .rate_limit import RateLimit

AuthFn = Callable[[str, str], Coroutine[Any, Any, bool]]

# The address of the client whose request is being served. Gradio hands its `auth` callable the
# name and password only, so `ClientAddress` (an ASGI middleware) records it for the request.
_CLIENT: ContextVar[str] = ContextVar("rag_client_address", default="")


class ClientAddress:
    """ASGI middleware: the client's address, for `throttled_auth`. Behind a reverse proxy every
    client has the proxy's address (forwarded headers are not trusted: anyone can write them)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client") if scope.get("type") == "http" else None
        token = _CLIENT.set(str(client[0]) if client else "")
        try:
            await self.app(scope, receive, send)
        finally:
            _CLIENT.reset(token)


def throttled_auth(
    user: str,
    password: str,
    *,
    max_failures: int = 5,
    window_s: float = 60.0,
    delay_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    client: Callable[[], str] = _CLIENT.get,
) -> AuthFn:
    """Gradio's `auth` callable. Failures are counted per client address (`client()`), not per
    user name, so changing the name buys nothing, and never for the whole page. Async, so the
    delay never blocks the server's event loop."""
    failures = RateLimit(max_failures, window_s, clock)

    async def auth(username: str, given: str) -> bool:
        who = client()
        if not failures.full(who):
            ok = hmac.compare_digest(username.encode(), user.encode()) & hmac.compare_digest(
                given.encode(), password.encode()
            )
            if ok:
                return True
        failures.note(who)
        await asyncio.sleep(delay_s)
        return False

    return auth
