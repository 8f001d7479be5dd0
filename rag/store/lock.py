"""One writer at a time: an advisory lock file holding the writer's pid.

`flock` is released by the kernel when the holder dies (even by SIGKILL), so a crash never
leaves a stale lock; the pid in the file is only there to name the holder in the message."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.store.guard import StoreError


class StoreBusyError(StoreError):
    """Another process is writing to the store and did not finish within the wait."""


class WriteLock:
    """Re-entrant within a process (ingest -> keyword rebuild), exclusive across processes."""

    def __init__(self, path: Path, wait_s: float) -> None:
        self.path = path
        self.wait_s = wait_s
        self._fd: int | None = None
        self._depth = 0
        self._mutex = threading.RLock()  # threads of one process (the page) take turns as well

    @contextmanager
    def hold(self, wait_s: float | None = None) -> Iterator[None]:
        """Hold the lock, waiting at most `wait_s` (default: the store's) for another writer
        (another thread of this process included)."""
        wait = self.wait_s if wait_s is None else wait_s
        if not (self._mutex.acquire(timeout=wait) if wait > 0 else self._mutex.acquire(blocking=False)):
            raise StoreBusyError(
                f"the store {self.path.parent} is being changed by this process (another upload or "
                f"ingest); waited {wait:g} s: try again when it has finished"
            )
        try:
            if self._depth == 0:
                self._acquire(wait)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()
        finally:
            self._mutex.release()

    @property
    def held_here(self) -> bool:
        """Does a thread of this process hold the lock (a page upload, say)?"""
        return self._depth > 0

    def busy(self) -> bool:
        """Is a writer (in any process, this one included) holding the lock right now?"""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False  # no lock file: nobody ever wrote here
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def _acquire(self, wait_s: float) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreBusyError(
                        f"the store {self.path.parent} is being changed by another process (pid "
                        f"{self.holder()}); waited {wait_s:g} s: try again when it has finished"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def _release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
