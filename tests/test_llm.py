"""Building the LLM backends (rag.answerers.llm), and the `openai` backend end to end against the test
model served by llama-cpp-python's OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from llm_helpers import ARTICLES, CONFIG, assert_exact_citations, need_llm_extra, split_stream, statements_supported
from rag import Engine
from rag.answerers import GenerativeAnswerer
from rag.answerers.llm import (
    TINY_MODEL_NOTICE,
    LLMError,
    LLMUnavailable,
    MissingExtra,
    build_llm,
    default_gguf,
)
from rag.answerers.model_process import ModelProcess
from rag.embed.embedder import Embedder
from rag.eval.startup import free_port

pytestmark = pytest.mark.llm  # the `llm` extra and its test model


def test_llamacpp_defaults_to_the_tiny_bundled_model_and_says_so(smollm: ModelProcess) -> None:
    said: list[str] = []
    proc = build_llm(CONFIG, say=said.append)
    assert isinstance(proc, ModelProcess) and proc.pid is None  # nothing starts before a question
    assert said == [TINY_MODEL_NOTICE] and "not for good answers" in said[0]
    assert proc.model == default_gguf() and default_gguf().stat().st_size > 50e6
    build_llm(CONFIG.model_copy(update={"llm_model": str(default_gguf())}), say=said.append)
    assert len(said) == 1  # a configured model gets no notice


def test_llamacpp_serves_the_model_from_a_child_process_with_its_own_chat_template(smollm: ModelProcess) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    llm = smollm.llm()
    assert type(llm).__name__ == "OpenAILike" and smollm.pid not in (None, os.getpid())
    assert llm.metadata.context_window == CONFIG.llm_context_window
    with urllib.request.urlopen(f"{smollm.url}/models", timeout=5) as r:
        assert json.load(r)["data"][0]["id"] == "local-gguf"
    reply = llm.chat([ChatMessage(role="user", content="Say hello.")]).message.content or ""
    # with a wrong template (Llama-2's [INST]) SmolLM2 echoes the markup back
    assert reply.strip() and "[INST]" not in reply and "<|im_start|>" not in reply


def test_setup_mistakes_are_one_clear_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need_llm_extra()
    with pytest.raises(LLMError, match="does not exist"):
        build_llm(CONFIG.model_copy(update={"llm_model": str(tmp_path / "missing.gguf")}))
    with pytest.raises(LLMError, match="RAG_LLM_BASE_URL"):
        build_llm(CONFIG.model_copy(update={"backend": "openai"}))
    with pytest.raises(LLMError, match="RAG_LLM_MODEL"):
        build_llm(CONFIG.model_copy(update={"backend": "ollama"}))
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name.startswith("llama_index.llms") else real(name, *a)
    )
    for backend in ("llamacpp", "openai", "ollama"):
        with pytest.raises(MissingExtra, match=r"pip install \.\[llm\]"):
            build_llm(CONFIG.model_copy(update={"backend": backend, "llm_base_url": "http://x/v1", "llm_model": "m"}))


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_an_unreachable_server_is_a_clear_error(seed_engine: Engine, embedder: Embedder, backend: str) -> None:
    need_llm_extra()
    url = f"http://127.0.0.1:{free_port()}" + ("/v1" if backend == "openai" else "")
    cfg = CONFIG.model_copy(update={"backend": backend, "llm_base_url": url, "llm_model": "m", "llm_timeout_s": 5})
    answerer = GenerativeAnswerer(build_llm(cfg), cfg, fallback=seed_engine.answerer)
    with pytest.raises(LLMUnavailable, match=f"could not reach the {backend} server at {url}: is it running"):
        answerer.answer(seed_engine.retrieve("Who fled to Moscow?"))


def rag_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        timeout=300,
    )


def test_cli_says_what_is_wrong_without_a_traceback(seed_store: Path, tmp_path: Path) -> None:
    need_llm_extra()
    shutil.copytree(seed_store, tmp_path / "s")
    env = {"RAG_STORE": str(tmp_path / "s")}
    cases = [
        (
            ["--backend", "openai"],
            {"RAG_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"},
            "could not reach the openai server",
        ),
        (
            ["--backend", "llamacpp"],
            {"RAG_LLM_MODEL": str(tmp_path / "nope.gguf")},
            f"the GGUF model file {tmp_path / 'nope.gguf'} does not exist",
        ),
        (["--backend", "gpt"], {}, "unknown backend 'gpt'"),
    ]
    for args, extra, message in cases:
        proc = rag_cli("ask", "Who fled to Moscow?", *args, "--stream", env={**env, **extra})
        assert proc.returncode == 2 and f"error: {message}" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


# --- through the OpenAI-compatible server ---------------------------------------------------
@pytest.fixture(scope="module")
def llama_server(smollm: ModelProcess) -> str:
    """llama-cpp-python's OpenAI-compatible server with the test model, on a free local port:
    the child process of the `llamacpp` backend, used here as any OpenAI-compatible server."""
    pytest.importorskip("sse_starlette", reason="llama-cpp-python[server] is not installed")
    smollm.llm()
    return smollm.url


def test_openai_backend_streams_from_the_server_and_is_checked(
    llama_server: str, gen_store: Path, tmp_path: Path, embedder: Embedder
) -> None:
    shutil.copytree(gen_store, tmp_path / "s")
    cfg = CONFIG.model_copy(
        update={"backend": "openai", "llm_base_url": llama_server, "llm_model": "local-gguf", "store": tmp_path / "s"}
    )
    with Engine(config=cfg, embedder=embedder) as eng:
        assert isinstance(eng.answerer, GenerativeAnswerer)
        assert type(eng.answerer.llm).__name__ == "OpenAILike"
        deltas, final = split_stream(eng.ask_stream("Who opened the Zorblat bridge?"))
    assert len(deltas) > 2 and "".join(deltas) == final.generated and final.generated.strip()
    assert final.backend in ("openai", "extractive") and not final.refused
    assert_exact_citations(final, ARTICLES)
    assert all(ok for _, ok in statements_supported(final, ARTICLES))


def test_cli_ask_stream_through_the_server(llama_server: str, gen_store: Path, tmp_path: Path) -> None:
    shutil.copytree(gen_store, tmp_path / "s")
    env = {
        "RAG_STORE": str(tmp_path / "s"),
        "RAG_LLM_BASE_URL": llama_server,
        "RAG_LLM_MODEL": "local-gguf",
        "RAG_TOP_K": "2",
        "RAG_LLM_MAX_TOKENS": "128",
    }
    proc = rag_cli("ask", "Who opened the Zorblat bridge?", "--backend", "openai", "--stream", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Sources:" in proc.stdout and "Zorblat" in proc.stdout
    as_json = json.loads(
        rag_cli("ask", "Who opened the Zorblat bridge?", "--backend", "openai", "--json", env=env).stdout
    )
    assert as_json["generated"] and as_json["backend"] in ("openai", "extractive")
    assert all(ARTICLES[c["article_id"]].text[c["start"] : c["end"]] == c["quote"] for c in as_json["citations"])


def test_a_prompt_too_long_for_the_context_is_a_clear_error(smollm: ModelProcess) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from rag.answerers.llm import as_llm_error

    with pytest.raises(Exception) as info:  # the openai client's BadRequestError (HTTP 400)
        smollm.llm().chat([ChatMessage(role="user", content="word " * 3000)])
    err = as_llm_error(info.value, CONFIG)
    assert isinstance(err, LLMError) and "RAG_LLM_CONTEXT_WINDOW" in str(err), err
    # the server said no, it did not die: the model keeps serving
    assert "refused the request (HTTP 400" in smollm.failure(info.value) and smollm.pid is not None
    assert as_llm_error(ValueError("something else"), CONFIG) is None  # a bug stays a bug
