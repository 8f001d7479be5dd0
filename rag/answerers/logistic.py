"""A fitted logistic model shipped as JSON: the reader's sentence model and the short answer's
confidence model are both one (fitted by `python -m rag.eval.train_reader fit`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

VERSION = 1


@dataclass(frozen=True)
class LogisticModel:
    """Logistic regression on standardised features: p = sigmoid(((x - mean) / scale) @ coef + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def proba(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "features": list(self.features),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], features: tuple[str, ...]) -> LogisticModel:
        """The model `to_json` wrote; a ValueError when it was fitted for other features."""
        if data.get("version") != VERSION or tuple(data["features"]) != features:
            raise ValueError("the model was fitted for other features: run `python -m rag.eval.train_reader fit`")

        def arr(key: str) -> np.ndarray:
            return np.asarray(data[key], dtype=np.float64)

        return cls(features, arr("mean"), arr("scale"), arr("coef"), float(data["intercept"]))


@lru_cache(maxsize=8)
def load_logistic(path: Path, features: tuple[str, ...]) -> LogisticModel:
    return LogisticModel.from_json(json.loads(path.read_text()), features)
