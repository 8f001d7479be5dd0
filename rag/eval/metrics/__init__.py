"""One evaluator per file, all implementing `rag.eval.base.Evaluator`."""

from ..base import Evaluator
from .accuracy import AnswerAccuracyEvaluator
from .citations import CitationEvaluator
from .conflict import ConflictEvaluator
from .faithfulness import FaithfulnessEvaluator
from .generation import GenerationEvaluator
from .latency import LatencyEvaluator
from .reader import ReaderEvaluator
from .refusal import RefusalEvaluator
from .retrieval import RetrievalEvaluator
from .short_answer import ShortAnswerEvaluator

__all__ = [
    "AnswerAccuracyEvaluator",
    "CitationEvaluator",
    "ConflictEvaluator",
    "FaithfulnessEvaluator",
    "GenerationEvaluator",
    "LatencyEvaluator",
    "ReaderEvaluator",
    "RefusalEvaluator",
    "RetrievalEvaluator",
    "ShortAnswerEvaluator",
]


def default_evaluators() -> list[Evaluator]:
    return [
        RetrievalEvaluator(),
        ReaderEvaluator(),
        AnswerAccuracyEvaluator(),
        ShortAnswerEvaluator(),
        FaithfulnessEvaluator(),
        CitationEvaluator(),
        RefusalEvaluator(),
        ConflictEvaluator(),
        GenerationEvaluator(),
        LatencyEvaluator(),
    ]
