"""Start-up budget and the command line as a composition of faces.

`import rag` (and `from rag import Engine`) loads none of the heavy or optional packages, nor
the faces; each command loads only what it uses; a core install (no `ui` or `eval` extra)
answers questions. Each probe runs in a fresh interpreter, as a user's command does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SEED_ANSWER, SEED_QUESTION
from rag.cli import app, attach_faces

# Never on `import rag`; torch, scikit-learn, Gradio, matplotlib and llama-index's LLM classes
# are the list, the rest would cost start-up time just the same.
HEAVY = (
    "torch",
    "sklearn",
    "gradio",
    "matplotlib",
    "llama_index.llms",
    "llama_index.core",
    "nltk",
    "scipy",
    "pandas",
    "transformers",
    "sentence_transformers",
    "chromadb",
    "openvino",
    "bm25s",
)
FACES = ("rag.ui", "rag.eval")
# What a core install lacks (and the faces, which a library user need not have).
EXTRAS = ("gradio", "matplotlib", "sklearn", "psutil", "locust")


def probe(code: str, *args: str, block: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `code` in a fresh interpreter (with `block`ed modules unimportable, as if not installed);
    the process and the modules it had loaded at the end."""
    script = (
        f"import sys\nfor _m in {list(block)!r}: sys.modules[_m] = None\n"
        f"try:\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + "finally:\n    import json\n    print('\\nMODULES ' + json.dumps(sorted(m for m in sys.modules "
        "if sys.modules[m] is not None)))\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, timeout=300)
    line = next((x for x in reversed(proc.stdout.splitlines()) if x.startswith("MODULES ")), None)
    assert line is not None, proc.stderr
    return proc, set(json.loads(line.removeprefix("MODULES ")))


def heavy(modules: set[str], names: tuple[str, ...] = HEAVY + FACES) -> set[str]:
    return {n for n in names if n in modules}


def test_import_rag_loads_nothing_heavy_and_no_face() -> None:
    _, modules = probe("import rag\nfrom rag import Engine")
    assert heavy(modules) == set()


def test_the_command_line_loads_its_faces_but_not_their_packages() -> None:
    _, modules = probe("from rag.cli import app")
    assert {"rag.ui.cli", "rag.eval.cli"} <= modules
    assert heavy(modules, HEAVY) == set()


def test_rag_stats_needs_only_sqlite(tmp_path: Path) -> None:
    proc, modules = probe("from rag.cli import main\nmain()", "stats", "--store", str(tmp_path / "store"))
    assert "articles: 0" in proc.stdout, proc.stderr
    assert heavy(modules) - set(FACES) == set()  # the faces' command modules are light


def test_sentences_split_without_importing_all_of_nltk() -> None:
    proc, modules = probe("from rag.text import sentence_spans\nprint(sentence_spans('Dr. Smith came. He left.'))")
    assert "[(0, 15), (16, 24)]" in proc.stdout, proc.stderr
    assert heavy(modules, ("nltk", "sklearn", "scipy", "pandas", "llama_index.core")) == set()


def test_a_face_that_is_not_installed_adds_nothing() -> None:
    from importlib.metadata import EntryPoint

    gone = EntryPoint(name="gone", value="not_a_face.cli:register", group="newsrag.commands")
    assert attach_faces(app, [gone]) == []
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    assert {"ingest", "ask", "stats", "delete", "serve", "eval", "bench", "load"} <= names


def test_core_install_without_extras_says_which_extra_a_command_needs(tmp_path: Path) -> None:
    proc, _ = probe("from rag.cli import main\nmain()", "serve", "--store", str(tmp_path / "s"), block=EXTRAS)
    assert proc.returncode == 2 and "needs the `ui` extra" in proc.stderr and "Traceback" not in proc.stderr
    proc, _ = probe("from rag.cli import main\nmain()", "eval", "--report", str(tmp_path / "r"), block=EXTRAS)
    assert proc.returncode == 2 and "needs the `eval` extra" in proc.stderr
    proc, _ = probe("from rag.cli import main\nmain()", "load", "--store", str(tmp_path / "s"), block=EXTRAS)
    assert proc.returncode == 2 and "`rag load` needs the `eval` extra (locust" in proc.stderr
    proc, _ = probe("from rag.cli import main\nmain()", "--help", block=(*EXTRAS, *FACES))
    listed = set(re.findall(r"[\w-]+", proc.stdout))  # words: "server" in a help text is not "serve"
    assert "ask" in listed and "serve" not in listed and "bench" not in listed


@pytest.mark.model
def test_rag_ask_on_a_core_install_loads_no_torch(seed_store: Path, tmp_path: Path) -> None:
    """The fast path answers with the tokenizer and the compiled model alone: no torch, no
    extras, no faces (`seed_store` made sure the exported model is in the cache)."""
    proc, modules = probe(
        "from rag.cli import main\nmain()",
        "ask",
        SEED_QUESTION,
        "--json",
        "--store",
        str(seed_store),
        block=(*EXTRAS, *FACES, "torch"),
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("{")))
    assert not out["refused"] and SEED_ANSWER in out["answer"]
    assert "openvino" in modules and heavy(modules, ("torch", "sklearn", "llama_index.core", "nltk")) == set()


@pytest.mark.model
def test_openvino_keeps_its_compiled_model(seed_store: Path, tmp_path: Path) -> None:
    """OpenVINO's CACHE_DIR: a start loads the compiled model instead of compiling it again."""
    from rag.embed.fast import compiled_cache

    cache = compiled_cache()
    proc, _ = probe("from rag.embed import OpenVINOEmbedder\nOpenVINOEmbedder().embed(['a', 'b', 'c', 'd', 'e'])")
    assert proc.returncode == 0, proc.stderr
    assert cache.is_dir() and any(p.suffix == ".blob" for p in cache.iterdir())
