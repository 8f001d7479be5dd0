"""Start-up as a user meets it: whole `rag ask` and `rag stats` commands (process start, imports,
model load) and `rag serve` until the page first answers HTTP 200, on a store of the seed
articles. Each command runs in its own process; its wall time and peak memory are its own."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from .datasets import ROOT, SEEDS
from .memory import run_measured

QUESTION = "Who guaranteed the security of Russian bases?"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of one `rag` command."""
    code, wall, peak_mb, stderr = run_measured([sys.executable, "-m", "rag.cli", *args], env)
    if code != 0:
        raise RuntimeError(f"rag {args[0]} failed: {stderr}")
    return wall, peak_mb


def child_env() -> dict[str, str]:
    """The environment of a `rag` command started from here: the caller's (RAG_CHROMA_URL and the
    rest are inherited), this checkout first on the import path, offline, no analytics."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def free_port() -> int:
    """A local TCP port nothing listens on (the page, test servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout_s: float = 15) -> None:
    """End a server process: politely first, by force if it does not go."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_ready(
    url: str, proc: subprocess.Popen[bytes], log: Path | None = None, timeout_s: float = 300, poll_s: float = 0.3
) -> None:
    """Return once `rag serve` (`proc`) answers `url` with HTTP 200; RuntimeError (with the end
    of its log) if it exits first, TimeoutError if it does not answer within `timeout_s`."""

    def tail() -> str:
        return f":\n{log.read_text()[-2000:]}" if log is not None else ""

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`rag serve` exited with {proc.returncode}{tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(poll_s)
    raise TimeoutError(f"`rag serve` did not answer {url} within {timeout_s:.0f} s{tail()}")


def page_ready_s(store: Path, env: dict[str, str], timeout_s: float = 120.0) -> float:
    """Seconds from `rag serve` to the page's first HTTP 200."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--store", str(store), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/", proc, timeout_s=timeout_s, poll_s=0.1)
        return time.perf_counter() - t0
    finally:
        stop(proc)


def measure_startup(runs: int = 3) -> dict[str, Any]:
    env = child_env()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        _run(["ingest", str(SEEDS), "--quiet", "--store", str(store)], env)
        _run(["ask", QUESTION, "--store", str(store)], env)  # compiles the model into its cache once
        ask = [_run(["ask", QUESTION, "--store", str(store)], env) for _ in range(runs)]
        stats = [_run(["stats", "--store", str(store)], env) for _ in range(runs)]
        page = page_ready_s(store, env)
    return {
        "runs": runs,
        "ask_s": [round(w, 2) for w, _ in ask],
        "ask_median_s": round(statistics.median(w for w, _ in ask), 2),
        "ask_peak_rss_mb": round(max(m for _, m in ask)),
        "stats_s": [round(w, 2) for w, _ in stats],
        "stats_median_s": round(statistics.median(w for w, _ in stats), 2),
        "page_ready_s": round(page, 2),
    }
