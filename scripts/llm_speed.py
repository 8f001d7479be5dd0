"""Generation speed of the installed llama-cpp-python build: prompt reading (a 600-token prompt,
so batched prompt processing runs: where the native AMX build faulted) and writing, one thread.
Compare builds by running it with each on the import path, e.g.
  PYTHONPATH=/tmp/llama-native .venv/bin/python scripts/llm_speed.py
Prints one JSON line: prompt tokens/s, generated tokens/s, seconds to the first token."""

from __future__ import annotations

import json
import sys
import time

import llama_cpp
from llama_cpp import Llama

from rag.answerers.llm import default_gguf

path = sys.argv[1] if len(sys.argv) > 1 else str(default_gguf())
model = Llama(model_path=path, n_ctx=2048, n_threads=1, n_threads_batch=1, verbose=False)
text = "Mayor Anna Kowalski opened the Zorblat bridge in Wexford on Monday. The bridge cost 12 million euros to build. "
prompt = model.tokenize((text * 25).encode())[:600]
result: dict[str, float] = {}
for _ in range(2):  # the second round is the one reported: the first warms caches
    model.reset()
    t0 = time.perf_counter()
    model.eval(prompt)
    read = time.perf_counter() - t0
    model.reset()
    t0 = time.perf_counter()
    out = model("Once upon a time", max_tokens=64, temperature=0)
    wrote = time.perf_counter() - t0
    result = {
        "prompt_tokens_per_s": round(len(prompt) / read, 1),
        "generated_tokens_per_s": round(out["usage"]["completion_tokens"] / wrote, 1),
        "first_token_after_600_tokens_s": round(read, 2),
    }
print(json.dumps({"llama_cpp": llama_cpp.__file__, **result}))
