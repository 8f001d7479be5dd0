"""Stage 2, embed: texts to vectors with the bundled MiniLM, on torch (`embedder`, the reference)
or one exported ONNX graph on OpenVINO / onnxruntime (`fast`, the CPU default)."""

from rag.embed.embedder import Embedder, TorchEmbedder, get_embedder
from rag.embed.fast import OnnxRuntimeEmbedder, OpenVINOEmbedder, compiled_cache, export_onnx, fast_path_available
from rag.embed.model import DIM, model_path

__all__ = [
    "DIM",
    "Embedder",
    "OnnxRuntimeEmbedder",
    "OpenVINOEmbedder",
    "TorchEmbedder",
    "compiled_cache",
    "export_onnx",
    "fast_path_available",
    "get_embedder",
    "model_path",
]
