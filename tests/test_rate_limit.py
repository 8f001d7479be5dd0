from __future__ import annotations

from rag.ui.rate_limit import RateLimit


def test_each_address_gets_its_own_budget_and_it_refills() -> None:
    now = [0.0]
    limit = RateLimit(3, 10.0, clock=lambda: now[0])
    assert [limit.allow("10.0.0.66") for _ in range(5)] == [True, True, True, False, False]
    assert limit.allow("127.0.0.1")  # someone else is not slowed down by the flood
    now[0] = 10.5
    assert limit.allow("10.0.0.66")  # the window has passed
    assert "at most 3 in 10 s" in limit.message()
