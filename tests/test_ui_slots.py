"""FairSlots: at most n holders at once, and a freed slot goes to the oldest waiter (a plain
semaphore lets a newcomer take it first)."""

from __future__ import annotations

import threading
import time

import pytest

from rag.ui.slots import FairSlots


def test_at_most_n_hold_a_slot_at_once() -> None:
    slots, lock = FairSlots(3), threading.Lock()
    holding, most = 0, 0

    def work() -> None:
        nonlocal holding, most
        with slots:
            with lock:
                holding += 1
                most = max(most, holding)
            time.sleep(0.01)
            with lock:
                holding -= 1

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert most == 3 and holding == 0


def test_waiters_get_the_slot_in_the_order_they_came_not_a_newcomer() -> None:
    slots = FairSlots(1)
    slots.acquire()  # the one slot is taken: everyone below waits
    order: list[int] = []
    threads = []

    def wait_turn(i: int) -> None:
        with slots:
            order.append(i)

    for i in range(5):
        t = threading.Thread(target=wait_turn, args=(i,))
        t.start()
        threads.append(t)
        while len(slots._waiters) < i + 1:  # each in line before the next comes
            time.sleep(0.001)
    slots.release()
    # a newcomer right as the slot frees waits behind the five
    slots.acquire()
    order.append(99)
    slots.release()
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2, 3, 4, 99]


def test_zero_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FairSlots(0)
