"""The `rag` command line, composed of faces: the library's own commands (`rag.cli.core`:
ingest, ask, stats, delete) and the commands each installed face adds (`ui.cli`: serve;
`eval.cli`: eval, bench). The library itself (`import rag`) never imports a face; this module
is where they meet, and a face that isn't there simply adds nothing."""

from __future__ import annotations

import importlib

import typer

from .core import BackendOpt, StoreOpt, app, config_for, engine_for, fail

# Each face's module has `register(app)`, which adds its commands.
FACES = ("ui.cli", "eval.cli")


def attach_faces(cli: typer.Typer, faces: tuple[str, ...] = FACES) -> list[str]:
    """Let every face that imports add its commands to `cli`; the names of those that did."""
    attached = []
    for name in faces:
        try:
            face = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
                continue  # the face is not installed
            raise
        face.register(cli)
        attached.append(name)
    return attached


attach_faces(app)


def main() -> None:
    app()


__all__ = ["FACES", "BackendOpt", "StoreOpt", "app", "attach_faces", "config_for", "engine_for", "fail", "main"]
