"""The layers of docs/ARCHITECTURE.md are held by tools, not by convention: import-linter's
contracts (pyproject.toml, run by scripts/check.sh) pass on this tree and fail on a planted
violation; the faces import only public names (`rag`'s or a stage package's `__all__`)."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
STAGES = ("rag", "rag.text", "rag.embed", "rag.store", "rag.retrieve", "rag.answerers", "rag.cli")
# The tools that fit the library's internals import the modules they fit, by design.
FITTERS = {f"rag/eval/{n}.py" for n in ("train_reader", "train_spans", "reader_report", "tune_retrieval")}
FACES = ("rag.ui", "rag.eval")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    if not LINT.exists():
        pytest.skip("import-linter is not installed (the `test` extra)")
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True, env=env, timeout=120)


def test_the_contracts_hold_on_this_tree() -> None:
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        ("rag/models.py", "import rag.ui.render  # planted\n", "the library imports no face"),
        ("rag/ui/render.py", "import rag.eval.report  # planted\n", "the faces are independent of each other"),
        ("rag/text/splitter.py", "import rag.store.store  # planted\n", "rag's stages import only earlier stages"),
    ],
)
def test_a_planted_import_breaks_a_contract(tmp_path: Path, module: str, planted: str, broken: str) -> None:
    shutil.copytree(ROOT / "rag", tmp_path / "rag", ignore=shutil.ignore_patterns("__pycache__", "*.npz", "results"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + planted)
    proc = lint(tmp_path)
    assert proc.returncode != 0 and f"{broken} BROKEN" in proc.stdout, proc.stdout


def test_faces_import_only_public_names() -> None:
    public = {name: set(importlib.import_module(name).__all__) for name in STAGES}
    wrong = []
    for path in sorted([*ROOT.glob("rag/ui/**/*.py"), *ROOT.glob("rag/eval/**/*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel in FITTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(FACES):
                continue  # a face's own modules
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rag":
                names = {a.name for a in node.names}
                if node.module not in public or names - public[node.module]:
                    wrong.append(f"{rel}:{node.lineno} from {node.module} import {sorted(names)}")
            elif isinstance(node, ast.Import):
                wrong += [
                    f"{rel}:{node.lineno} import {a.name}"
                    for a in node.names
                    if a.name.startswith("rag.") and not a.name.startswith(FACES)
                ]
    assert wrong == []


def test_our_settings_are_read_from_the_environment_only_by_the_config() -> None:
    """Every RAG_* variable is a RagConfig field (pydantic-settings reads them); a module that
    reads one itself (RAG_MODEL_CACHE, RAG_AUTH did) bypasses the one config object."""
    import re

    read = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["']RAG_""")
    wrong = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted(ROOT.glob("rag/**/*.py"))
        if not p.is_relative_to(ROOT / "rag" / "eval")  # the eval starts `rag` commands with their env
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if read.search(line)
    ]
    assert wrong == []
