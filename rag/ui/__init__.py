"""The Gradio chat page over `rag.Engine`: `ui.app.build(engine)` or `ui.app.launch(engine)`.

`import rag.ui` stays light (the `rag serve` command lives in `rag.ui.cli`); Gradio loads with `rag.ui.app`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import build, launch

__all__ = ["build", "launch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'rag.ui' has no attribute {name!r}")
