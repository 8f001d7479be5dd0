"""The Gradio chat page over `rag.Engine`: `launch(engine)` or `build(engine)`."""

from .app import build, launch

__all__ = ["build", "launch"]
