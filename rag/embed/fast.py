"""A faster CPU path for the bundled all-MiniLM-L6-v2: one ONNX graph (encoder + mean pooling +
L2 normalisation) exported locally with `torch.onnx.export`, run by OpenVINO (bf16 where the
CPU has it) or onnxruntime, fed by the `tokenizers` tokenizer of the model folder.

The export happens once and is cached (`model_cache()`); nothing is ever downloaded.
Vectors agree with the torch path to cosine > 0.999 (tests/test_embed_fast.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rag.embed.model import DIM, model_path

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
SHAPE_BUCKET = 16  # tokens: batches are padded to a multiple of this (see _OnnxEmbedder)
_EXPORT_VERSION = "1"  # bump when the exported graph changes

Precision = Literal["auto", "bf16", "f32"]


def model_cache(folder: str | Path | None = None) -> Path:
    """Where exported models live: the given folder (RagConfig.model_cache), else the user's
    cache folder (the platform's convention, $XDG_CACHE_HOME, not a setting of ours)."""
    if folder is None:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsrag"
    return Path(folder)


def cache_problem(folder: str | Path | None = None) -> str | None:
    """Why the fast path can't keep its exported model in `model_cache()`, or None."""
    cache = model_cache(folder)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"the model cache {cache} can't be created ({exc.strerror or exc})"
    if not os.access(cache, os.W_OK | os.X_OK):
        return f"the model cache {cache} is not writable"
    return None


def compiled_cache(folder: str | Path | None = None) -> Path:
    """OpenVINO's cache of compiled models (its `CACHE_DIR`), inside `model_cache()`: compiling
    the model takes about half a second of every start; loading the cached blob, a few ms."""
    return model_cache(folder) / "openvino-compiled"


def _model_key(src: Path) -> str:
    """Identifies the weights and the export recipe, so a new model or torch re-exports."""
    from importlib.metadata import version

    st = (src / "model.safetensors").stat()
    # The version from metadata: importing torch here would cost ~0.5 GB on every start.
    raw = json.dumps([str(src), st.st_size, int(st.st_mtime), version("torch"), _EXPORT_VERSION])
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def export_onnx(cache: str | Path | None = None) -> Path:
    """The cached ONNX file of the model with pooling and normalisation; exported on first use."""
    src = Path(model_path())
    target = model_cache(cache) / f"minilm-{_model_key(src)}" / "model.onnx"
    if target.exists():
        return target
    import sys
    import time
    import warnings

    # One line, once per machine (and per torch version): a first `rag ask` that is silent for
    # ~15 s looks hung, and the exporter's own warnings say nothing a user can act on.
    print(
        f"preparing the embedding model for this CPU, once (~15 s; cached in {target.parent.parent}) ...",
        end="",
        file=sys.stderr,
        flush=True,
    )
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _export(src, target)
    print(f" done in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    return target


def _export(src: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    model = Pooled(AutoModel.from_pretrained(str(src)).eval())
    example = torch.ones(2, 16, dtype=torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Export beside the target, then rename: a crash never leaves half a model in the cache.
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with torch.no_grad():
            torch.onnx.export(
                model,
                (example, example),
                tmp,
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fast_path_available() -> bool:
    """OpenVINO and the exporter's `onnx` package are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("openvino", "onnx"))


class _OnnxEmbedder:
    """Tokenizing and batching shared by both runtimes: texts are sorted by length and each
    batch is padded only to its longest member, so short texts cost little."""

    name: str
    dim: int = DIM

    def __init__(self, batch_size: int) -> None:
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self._lock = threading.Lock()  # an inference request serves one caller at a time
        self.tokenizer = Tokenizer.from_file(str(Path(model_path()) / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        # Padded to a multiple of 16 tokens, so a batch has one of 16 lengths: the runtimes keep
        # kernels and buffers per input shape, and with every length from 1 to 256 a process grew
        # by ~1.3 GB over a 300-article ingest (OpenVINO, 2 cores: 1,580 MB against 271 at start).
        # Bucketed, 2,000 texts of random length took it from 406 to 559 MB instead of 968, at the
        # same speed; the vectors agree with unbucketed ones to a cosine of 0.99999.
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", pad_to_multiple_of=SHAPE_BUCKET)

    def batches(self, texts: Sequence[str]) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """(positions, model inputs) per batch, shortest texts first."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            enc = self.tokenizer.encode_batch([texts[j] for j in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            yield idx, {"input_ids": ids, "attention_mask": mask}

    def _run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for idx, inputs in self.batches(texts):
                out[idx] = self._run(inputs)
        return out


def quantize_int8(calibration: Sequence[str], cache: str | Path | None = None) -> Path:
    """An int8 OpenVINO model, calibrated by NNCF on `calibration` (our own chunk texts);
    cached by the texts' hash, since quantizing takes a minute or two."""
    digest = hashlib.sha1("\x00".join(calibration).encode()).hexdigest()[:12]
    onnx_path = export_onnx(cache)
    target = onnx_path.parent / f"int8-{digest}.xml"
    if target.exists():
        return target
    try:
        import nncf
    except ImportError as err:
        raise RuntimeError("int8 embedding needs nncf, in the `eval` extra: pip install 'newsrag[eval]'") from err
    import openvino as ov

    feeder = _OnnxEmbedder(batch_size=8)
    samples = [inputs for _, inputs in feeder.batches(calibration)]
    model = nncf.quantize(
        ov.Core().read_model(str(onnx_path)),
        nncf.Dataset(samples),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(samples),
    )
    tmp = target.with_name(f"tmp-{os.getpid()}-{target.name}")
    ov.save_model(model, str(tmp))
    tmp.with_suffix(".bin").replace(target.with_suffix(".bin"))
    tmp.replace(target)
    return target


class OpenVINOEmbedder(_OnnxEmbedder):
    """Two compilations of the one model: LATENCY (all cores on one request) for a question
    or a handful of sentences, THROUGHPUT (one stream per core, requests in flight together)
    for bulk embedding, which measured about 1.2-1.5x faster than LATENCY on 2 cores. The
    THROUGHPUT one is made on the first bulk call; both are kept in OpenVINO's model cache
    (`CACHE_DIR`, beside the exported model), so later starts load them instead of compiling."""

    # Batches of 4: on 2 cores, with sorted lengths, smaller batches pad less and keep both
    # THROUGHPUT streams busy (measured 63 / 61 / 59 / 53 chunks/s at 4 / 8 / 16 / 32).
    def __init__(
        self,
        precision: Precision | Literal["int8"] = "auto",
        batch_size: int = 4,
        threads: int | None = None,
        cache: str | Path | None = None,
        calibration: Sequence[str] | None = None,
    ) -> None:
        import openvino as ov

        super().__init__(batch_size)
        self._core = core = ov.Core()
        core.set_property({"CACHE_DIR": str(compiled_cache(cache))})
        compute = precision
        if precision in ("auto", "int8"):
            caps = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
            compute = "bf16" if "BF16" in caps else "f32"  # int8 models keep some ops in float
        if precision == "int8":
            if not calibration:
                raise ValueError("int8 needs calibration texts (a few hundred of your chunks)")
            self._model = str(quantize_int8(calibration, cache))
        else:
            self._model = str(export_onnx(cache))
        self._config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": compute}
        if threads:
            self._config["INFERENCE_NUM_THREADS"] = threads
        self._request = core.compile_model(
            self._model, "CPU", {**self._config, "PERFORMANCE_HINT": "LATENCY"}
        ).create_infer_request()
        self._queue: Any = None  # ov.AsyncInferQueue, made on the first bulk call
        self.precision = "int8" if precision == "int8" else compute
        self.name = f"openvino-{self.precision}"

    def _run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self._request.infer(inputs)[0], dtype=np.float32)

    def _bulk(self) -> Any:
        if self._queue is None:
            import openvino as ov

            compiled = self._core.compile_model(self._model, "CPU", {**self._config, "PERFORMANCE_HINT": "THROUGHPUT"})
            self._queue = ov.AsyncInferQueue(compiled, 0)
        return self._queue

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) <= self.batch_size:
            return super().embed(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)

        def done(request: Any, idx: np.ndarray) -> None:
            out[idx] = request.get_output_tensor(0).data

        with self._lock:
            queue = self._bulk()
            queue.set_callback(done)
            for idx, inputs in self.batches(texts):
                queue.start_async(inputs, idx)
            queue.wait_all()
        return out


class OnnxRuntimeEmbedder(_OnnxEmbedder):
    def __init__(self, batch_size: int = 16, threads: int | None = None, cache: str | Path | None = None) -> None:
        import onnxruntime as ort

        super().__init__(batch_size)
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(export_onnx(cache)), opts, providers=["CPUExecutionProvider"])
        self.name = "onnxruntime-f32"

    def _run(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self._session.run(None, inputs)[0], dtype=np.float32)
