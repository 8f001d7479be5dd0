"""The local model's child process (rag.answerers.model_process): a real prompt of hundreds of tokens
through the real SmolLM2 build (the AMX fault killed the process on exactly this), then planted
faults — the model killed by SIGKILL or SIGILL mid-answer, a model that stops answering, a file
that is not a model — each costing one answer its generated text, never the asking process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SEED_QUESTION
from llm_helpers import ARTICLES, BRIDGE, CONFIG, assert_exact_citations, need_llm_extra, split_stream
from rag import Answer, Engine, ExtractiveAnswerer, GenerativeAnswerer, RagConfig
from rag.answerers.llm import default_gguf
from rag.answerers.model_process import ModelProcess, exit_reason
from rag.embed.embedder import Embedder
from rag.eval.startup import free_port, stop, wait_ready

pytestmark = pytest.mark.llm

QUESTION = "Who opened the Zorblat bridge?"
ROOT = Path(__file__).resolve().parents[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child not yet reaped is a zombie: not running
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def own_engine(
    gen_store: Path, tmp_path: Path, embedder: Embedder, *, hang: bool = False
) -> Iterator[tuple[Engine, GenerativeAnswerer]]:
    """An engine whose own model process the test may kill (the session's stays untouched)."""
    need_llm_extra()
    shutil.copytree(gen_store, tmp_path / "store")
    # a cold ~600-token prompt takes ~10 s to read on one busy core: the timeout is not what is tested here
    cfg = CONFIG.model_copy(update={"store": tmp_path / "store", "llm_timeout_s": 4.0 if hang else 120.0})
    answerer = GenerativeAnswerer(ModelProcess(default_gguf(), cfg), cfg, fallback=ExtractiveAnswerer(embedder, cfg))
    with Engine(config=cfg, embedder=embedder, answerer=answerer) as eng:
        yield eng, answerer
    answerer.close()


@pytest.fixture()
def engine(gen_store: Path, tmp_path: Path, embedder: Embedder) -> Iterator[tuple[Engine, GenerativeAnswerer]]:
    yield from own_engine(gen_store, tmp_path, embedder)


@pytest.fixture()
def hanging(gen_store: Path, tmp_path: Path, embedder: Embedder) -> Iterator[tuple[Engine, GenerativeAnswerer]]:
    yield from own_engine(gen_store, tmp_path, embedder, hang=True)


def ask_and_fault(eng: Engine, answerer: GenerativeAnswerer, fault: signal.Signals) -> tuple[Answer, int]:
    """Ask, and send `fault` to the model's process once its first words arrive."""
    stream = eng.ask_stream(QUESTION)
    first = next(stream)
    assert isinstance(first, str), "the model started answering"
    assert answerer.process is not None and answerer.process.pid is not None
    pid = answerer.process.pid
    os.kill(pid, fault)
    _, final = split_stream(stream)
    return final, pid


def test_a_prompt_of_hundreds_of_tokens_streams_through_the_real_model(smollm: ModelProcess) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    text = " ".join([BRIDGE.text] * 18)  # ~650 tokens: batched prompt processing, where AMX faulted
    llm = smollm.llm()
    deltas = [c.delta for c in llm.stream_chat([ChatMessage(role="user", content=f"{text}\nWho opened it?")])]
    assert "".join(d or "" for d in deltas).strip() and smollm.pid is not None
    assert len(text.split()) > 450


# AMX tile instructions and AVX-512 registers: what a CPU without them faults on (SIGILL).
_NOT_PORTABLE = ("tileloadd", "ldtilecfg", "tdpbssd", "tdpbf16ps", "%zmm")


def test_the_llama_cpp_build_has_no_amx_or_avx512_code() -> None:
    """The prompt above proves the build on this CPU only; this proves it on any CPU: scripts/setup.sh
    builds llama.cpp without AMX and AVX-512, so no instruction of theirs may be in its CPU backend
    (a native build on an AMX machine faulted on `tileloadd` and took the whole test run down)."""
    need_llm_extra()
    import llama_cpp

    flags = ROOT / ".venv" / ".llama-cpp-cmake-args"
    if not flags.exists() or "GGML_NATIVE=OFF" not in flags.read_text():
        pytest.skip("llama.cpp was not built by scripts/setup.sh's portable recipe (LLAMA_CMAKE_ARGS)")
    if shutil.which("objdump") is None:
        pytest.skip("objdump (binutils) is not installed")
    libs = sorted((Path(llama_cpp.__file__).parent / "lib").glob("libggml-cpu*.so*"))
    assert libs, "llama.cpp's CPU backend library is missing"
    code = subprocess.run(["objdump", "-d", str(libs[0])], capture_output=True, text=True, check=True).stdout
    assert len(code) > 100_000  # really disassembled
    found = {op for op in _NOT_PORTABLE if op in code}
    assert not found, f"{libs[0].name} holds {sorted(found)}: not portable (scripts/setup.sh's flags)"


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGILL])
def test_a_model_killed_mid_answer_costs_that_answer_only(
    engine: tuple[Engine, GenerativeAnswerer], fault: signal.Signals
) -> None:
    eng, answerer = engine
    final, pid = ask_and_fault(eng, answerer, fault)
    assert final.backend == "extractive" and not final.refused and final.citations
    assert_exact_citations(final, ARTICLES)
    assert final.notice and f"(signal {int(fault)})" in final.notice and final.answer.endswith(final.notice)
    if fault == signal.SIGILL:
        assert "illegal instruction" in final.notice and "rebuilding llama-cpp-python" in final.notice
    assert not alive(pid)
    # while the model restarts in the background, the next question is answered at once
    t0 = time.monotonic()
    meanwhile = eng.ask(QUESTION)
    assert time.monotonic() - t0 < 2.0 and meanwhile.backend == "extractive" and meanwhile.citations
    assert meanwhile.notice and "restarting" in meanwhile.notice
    # ... and once it is back, questions get a generated answer again
    assert answerer.process is not None
    answerer.process.wait_restarted(60)
    _, again = split_stream(eng.ask_stream(QUESTION))
    assert again.generated, again.notice
    assert answerer.process.starts == 2 and answerer.process.pid not in (None, pid)


def test_a_model_that_stops_answering_is_cut_off_after_the_timeout(hanging: tuple[Engine, GenerativeAnswerer]) -> None:
    eng, answerer = hanging
    assert answerer.process is not None
    answerer.process.llm()  # started and ready, then frozen: it accepts the connection, never answers
    pid = answerer.process.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    final = eng.ask(QUESTION)
    waited = time.monotonic() - t0
    assert final.backend == "extractive" and final.citations and final.notice
    assert "did not answer within 4 s" in final.notice, final.notice
    assert 3.5 < waited < 30 and not alive(pid)  # the hung child is killed, not left behind
    answerer.process.wait_restarted(60)
    assert answerer.process.pid not in (None, pid)  # and replaced


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"not a model at all", "is not a GGUF file"), (b"GGUF" + os.urandom(4096), "the language model did not start:")],
)
def test_a_file_that_is_not_a_model_gets_the_quoted_answer_and_the_reason(
    gen_store: Path, tmp_path: Path, embedder: Embedder, content: bytes, reason: str
) -> None:
    need_llm_extra()
    bad = tmp_path / "model.gguf"
    bad.write_bytes(content)
    shutil.copytree(gen_store, tmp_path / "store")
    cfg = CONFIG.model_copy(update={"store": tmp_path / "store", "llm_model": str(bad)})
    with Engine(config=cfg, embedder=embedder) as eng:
        _, final = split_stream(eng.ask_stream(QUESTION))
        assert (
            final.backend == "extractive"
            and final.citations
            and final.notice
            and reason.lower() in final.notice.lower()
        )
        assert isinstance(eng.answerer, GenerativeAnswerer) and eng.answerer.process is not None
        assert eng.answerer.process.pid is None  # nothing left running


def test_closing_the_engine_stops_the_model_it_started(gen_store: Path, tmp_path: Path, embedder: Embedder) -> None:
    need_llm_extra()
    shutil.copytree(gen_store, tmp_path / "store")
    with Engine(config=CONFIG.model_copy(update={"store": tmp_path / "store"}), embedder=embedder) as eng:
        eng.ask(QUESTION)
        assert isinstance(eng.answerer, GenerativeAnswerer) and eng.answerer.process is not None
        pid = eng.answerer.process.pid
        assert pid is not None and alive(pid)
    assert not alive(pid)


def test_the_page_keeps_serving_everyone_when_its_model_is_killed(tmp_path: Path) -> None:
    """`rag serve --backend llamacpp`: the model's process killed in the middle of one visitor's
    answer; another visitor is answered within 2 s, the first gets the quoted answer and the
    reason, and stopping the page leaves no model behind."""
    need_llm_extra()
    client_mod = pytest.importorskip("gradio_client", reason="the `ui` extra is not installed")
    psutil = pytest.importorskip("psutil", reason="the `eval` extra is not installed")
    port, log = free_port(), tmp_path / "server.log"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "RAG_LLM_CONTEXT_WINDOW": "2048",
        "RAG_LLM_MAX_TOKENS": "64",
    }
    env.pop("RAG_AUTH", None)
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--store", str(tmp_path / "store"), "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cmd, "--ingest", "seeds", "--backend", "llamacpp"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_ready(url, proc, log, timeout_s=240, poll_s=0.5)
        first, other = client_mod.Client(url, verbose=False), client_mod.Client(url, verbose=False)
        assert first.predict(SEED_QUESTION, api_name="/ask")["generated"]  # the model started and wrote
        [model] = [c for c in psutil.Process(proc.pid).children() if "llama_cpp.server" in " ".join(c.cmdline())]
        job = first.submit("Who fled to Moscow?", api_name="/ask")
        time.sleep(2.0)  # the model is reading the new question's prompt (~10 s cold)
        model.kill()
        t0 = time.monotonic()
        theirs = other.predict(SEED_QUESTION, api_name="/ask")
        assert time.monotonic() - t0 < 2.0 and not theirs["refused"] and theirs["citations"]
        killed = job.result(timeout=120)
        assert killed["backend"] == "extractive" and killed["citations"]
        assert "(signal 9)" in killed["notice"] or "restarting" in killed["notice"], killed["notice"]
        children = psutil.Process(proc.pid).children()
    finally:
        stop(proc)
    psutil.wait_procs(children, timeout=10)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def test_exit_statuses_in_words() -> None:
    assert exit_reason(-4).startswith("the language model stopped: illegal instruction (signal 4); see README")
    assert exit_reason(-9) == "the language model stopped: killed (signal 9): out of memory, or killed"
    assert exit_reason(1) == "the language model stopped (exit status 1)"
    assert RagConfig().llm_start_timeout_s > 0
