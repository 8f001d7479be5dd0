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
import os
import queue
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
    """One GGUF model served in a child process. The first question waits for it to start; after
    it dies or hangs it is restarted in the background, and questions asked meanwhile get the
    quoted answer at once ("restarting") instead of waiting seconds for a model."""

    def __init__(self, model: Path, config: RagConfig) -> None:
        self.model = model
        self.cfg = config
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._llm: LLM | None = None
        self.url = ""  # the running child's OpenAI-compatible root, http://127.0.0.1:PORT/v1
        self._start_lock = threading.Lock()  # held while a child starts
        self._restart: threading.Thread | None = None
        self._closed = False
        self.starts = 0  # how many children were started (a test of restarts reads it)
        atexit.register(self.close)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _live(self) -> LLM | None:
        proc, llm = self._proc, self._llm
        return llm if proc is not None and proc.poll() is None else None

    def llm(self) -> LLM:
        """The client of a running model: starting one first (and waiting) when none runs and
        none is being restarted; `ModelStopped` while a restart is under way."""
        live = self._live()
        if live is not None:
            return live
        if self._restart is not None and self._restart.is_alive():
            raise ModelStopped("the language model is restarting after it stopped on an earlier question")
        with self._start_lock:
            live = self._live()  # another question may have started it meanwhile
            if live is None:
                self._start()
                live = self._live()
            if live is None:
                raise ModelStopped("the language model stopped as it started")
            return live

    def wait_restarted(self, timeout: float | None = None) -> None:
        """Wait for a background restart (if any) to finish."""
        if self._restart is not None:
            self._restart.join(timeout)

    def _restart_soon(self) -> None:
        if self._closed or (self._restart is not None and self._restart.is_alive()):
            return

        def run() -> None:
            with self._start_lock:
                if self._live() is None and not self._closed:
                    with contextlib.suppress(ModelStopped):  # the next question starts it, and says why
                        self._start()

        self._restart = threading.Thread(target=run, name="model-restart", daemon=True)
        self._restart.start()

    def failure(self, exc: BaseException) -> str:
        """Why a request to the model failed, in one line. A dead or hung model is replaced in
        the background; a refused request leaves it serving."""
        name = type(exc).__name__
        status = getattr(exc, "status_code", None)
        if status is not None:  # the server answered: it is alive and keeps serving
            first = (str(exc).strip().splitlines() or [name])[0][:200]
            return f"the language model refused the request (HTTP {status}: {first})"
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)  # a crash closes the socket a moment before the exit is seen
        if proc is not None and proc.returncode is not None:
            why = exit_reason(proc.returncode)
        elif "Timeout" in name:
            why = (
                f"the language model did not answer within {self.cfg.llm_timeout_s:g} s "
                "(RAG_LLM_TIMEOUT_S) and was stopped"
            )
        else:  # a model that fails this way is not trusted with the next question either
            why = f"the language model failed ({name}: {str(exc).strip()[:160]})"
        self.stop()
        self._restart_soon()
        return why

    def close(self) -> None:
        """Stop the model for good: no restart follows."""
        self._closed = True
        self.wait_restarted(self.cfg.llm_start_timeout_s)
        self.stop()

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
        threads = str(self.cfg.llm_threads or max(1, (os.cpu_count() or 2) // 2))
        args = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(self.model), "--model_alias", MODEL_ALIAS,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(self.cfg.llm_context_window),
            "--seed", str(self.cfg.llm_seed), "--n_threads", threads, "--n_threads_batch", threads,
            "--verbose", "False",
        ]  # fmt: skip
        # the child's stderr, kept open with the child: its last line says why it failed
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = _spawn(args, self._log)
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


def _spawn(args: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start the child from a thread that lives as long as the child does. Linux sends the
    parent-death signal when the *thread* that forked the child ends, and the thread asking a
    question may be a pool worker that ends any time: then the model would be killed with it."""
    box: queue.Queue[subprocess.Popen[bytes] | BaseException] = queue.Queue()

    def own() -> None:
        try:
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log, preexec_fn=_die_with_parent
            )
        except OSError as exc:
            box.put(exc)
            return
        box.put(proc)
        proc.wait()

    threading.Thread(target=own, name="model-process", daemon=True).start()
    got = box.get()
    if isinstance(got, BaseException):
        raise ModelStopped(f"the language model did not start: {got}")
    return got


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
