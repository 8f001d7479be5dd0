"""The `rag` command line: the library's own commands (`rag.cli.core`: ingest, ask, stats,
delete, check, publish) plus the commands each installed face registers through the
`newsrag.commands` entry-point group (`rag.ui.cli`: serve; `rag.eval.cli`: eval, bench, load), as
simonw/llm's plugins do. The library never names a face: a face that isn't installed simply
adds nothing (enforced: the `rag imports no face` contract in pyproject.toml)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

import typer

from rag.cli import core
from rag.cli.core import BackendOpt, StoreOpt, config_for, engine_for, fail

GROUP = "newsrag.commands"  # each entry point names a face's `register(app)`


def attach_faces(cli: typer.Typer, faces: Iterable[EntryPoint] | None = None) -> list[str]:
    """Let every registered face add its commands to `cli`; the names of those that did."""
    attached = []
    for ep in entry_points(group=GROUP) if faces is None else faces:
        try:
            register = ep.load()
        except ModuleNotFoundError as exc:
            if exc.name is not None and (ep.module == exc.name or ep.module.startswith(exc.name + ".")):
                continue  # registered, but its module is gone (an uninstalled face)
            raise
        register(cli)
        attached.append(ep.name)
    return attached


_attached = False


def __getattr__(name: str) -> typer.Typer:
    """`app`, the faces' commands attached on first use, not at import: a face imports this
    package for its options, and attaching then would load that face half-made."""
    global _attached
    if name != "app":
        raise AttributeError(f"module 'rag.cli' has no attribute {name!r}")
    if not _attached:
        _attached = True
        attach_faces(core.app)
    return core.app


def main() -> None:
    __getattr__("app")()


__all__ = ["GROUP", "BackendOpt", "StoreOpt", "app", "attach_faces", "config_for", "engine_for", "fail", "main"]
