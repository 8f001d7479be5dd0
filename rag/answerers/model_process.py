"""A local GGUF model in a child process: llama-cpp-python's OpenAI-compatible server on
127.0.0.1, started, watched and stopped by `rag`.

Why not in-process: llama.cpp is native code. When it faults (an illegal instruction from a
build made for another CPU, as AMX kernels do on machines that lack them or fault on them), runs
out of memory or is killed, it takes its whole process down: in-process, that is the page, for
every visitor. Out of process, the question being answered loses only its generated text (it
gets the quoted answer and one line saying why) and the next question starts a new model.

Invariant: `llm()` returns a client of a live child, or raises `ModelStopped` with one sentence
a user can act on; after `stop()` (or the parent's exit, even by SIGKILL: the child gets SIGTERM
from the kernel) no child is left running."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rag.config import RagConfig

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

REBUILD_HINT = "see README: rebuilding llama-cpp-python"
GGUF_MAGIC = b"GGUF"
MODEL_ALIAS = "local-gguf"


class ModelStopped(RuntimeError):
    """The model process is not answering; the message says why, in one sentence."""


def is_gguf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == GGUF_MAGIC


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def exit_reason(returncode: int) -> str:
    """A child's exit status in words: `-4` is "illegal instruction (signal 4)"."""
    if returncode < 0:
        sig = -returncode
        name = (signal.strsignal(sig) or f"signal {sig}").split(":")[0].lower()
        why = f"the language model stopped: {name} (signal {sig})"
        if sig == signal.SIGILL:
            return f"{why}; {REBUILD_HINT}"
        if sig == signal.SIGKILL:
            return f"{why}: out of memory, or killed"
        return why
    return f"the language model stopped (exit status {returncode})"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    # Linux's PR_SET_PDEATHSIG (1): the kernel sends SIGTERM when the parent dies, however it dies.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class ModelProcess:
    """One GGUF model served in a child process; restarted on the next `llm()` after it dies."""

    def __init__(self, model: Path, config: RagConfig) -> None:
        self.model = model
        self.cfg = config
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._llm: LLM | None = None
        self.url = ""  # the running child's OpenAI-compatible root, http://127.0.0.1:PORT/v1
        self._lock = threading.Lock()
        self.starts = 0  # how many children were started (a test of restarts reads it)
        atexit.register(self.stop)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def llm(self) -> LLM:
        """The client of a running model, starting one first when none runs (the first
        question, or the one after a crash)."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None or self._llm is None:
                self._start()
            assert self._llm is not None
            return self._llm

    def failure(self, exc: BaseException) -> str:
        """Why a request to the model failed, in one line; a hung model is stopped here (the
        next question starts a new one)."""
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)  # a crash closes the socket a moment before the exit is seen
            if proc.returncode is not None:
                return exit_reason(proc.returncode)
        name = type(exc).__name__
        status = getattr(exc, "status_code", None)
        if status is not None:  # the server answered: it is alive and keeps serving
            first = (str(exc).strip().splitlines() or [name])[0][:200]
            return f"the language model refused the request (HTTP {status}: {first})"
        if "Timeout" in name:
            self.stop()
            return (
                f"the language model did not answer within {self.cfg.llm_timeout_s:g} s "
                "(RAG_LLM_TIMEOUT_S) and was stopped"
            )
        self.stop()  # a model that answers garbage is not trusted with the next question either
        return f"the language model failed ({name}: {str(exc).strip()[:160]})"

    def stop(self) -> None:
        proc, self._proc, self._llm = self._proc, None, None
        if proc is not None and proc.poll() is None:
            proc.kill()  # SIGKILL: a SIGSTOPped or hung model ignores SIGTERM's polite request
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    # --- starting ------------------------------------------------------------------------
    def _start(self) -> None:
        self.stop()
        if not self.model.is_file():
            raise ModelStopped(f"the GGUF model file {self.model} does not exist (set RAG_LLM_MODEL)")
        if not is_gguf(self.model):
            raise ModelStopped(f"the model file {self.model} is not a GGUF file (set RAG_LLM_MODEL to a .gguf file)")
        port = free_port()
        threads = str(self.cfg.llm_threads or max(1, _cores() // 2))
        args = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--model_alias", MODEL_ALIAS,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(self.cfg.llm_context_window),
            "--seed", str(self.cfg.llm_seed), "--n_threads", threads, "--n_threads_batch", threads,
            "--verbose", "False",
        ]  # fmt: skip
        # the child's stderr, kept open with the child: its last line says why it failed
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log, preexec_fn=_die_with_parent
        )
        self.starts += 1
        base = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + self.cfg.llm_start_timeout_s
        while not _ready(base):
            code = self._proc.poll()
            if code is not None:
                tail = self._stderr_tail()
                self.stop()
                raise ModelStopped(
                    f"the language model did not start: {tail or exit_reason(code).removeprefix('the language model ')}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ModelStopped(
                    f"the language model did not start within {self.cfg.llm_start_timeout_s:g} s "
                    "(RAG_LLM_START_TIMEOUT_S)"
                )
            time.sleep(0.1)
        self.url = base
        self._llm = _client(base, self.cfg)

    def _stderr_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = [ln.strip() for ln in self._log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return lines[-1][:200] if lines else ""


def _cores() -> int:
    import os

    return os.cpu_count() or 2


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/models", timeout=1) as r:
            return bool(json.load(r).get("data"))
    except (OSError, ValueError):
        return False


def _client(base: str, config: RagConfig) -> LLM:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=MODEL_ALIAS,
        api_base=base,
        api_key="unused",
        is_chat_model=True,  # the server formats chats with the GGUF's own template
        context_window=config.llm_context_window,
        temperature=config.llm_temperature,
        max_tokens=config.llm_max_tokens,
        # greedy decoding loops on one sentence without a repeat penalty (1.1: llama.cpp's CLI default)
        additional_kwargs={"seed": config.llm_seed, "extra_body": {"repeat_penalty": 1.1}},
        timeout=config.llm_timeout_s,
        max_retries=0,  # a crashed model is reported at once, not retried into a new crash
    )
