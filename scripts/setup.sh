#!/usr/bin/env bash
# Create .venv and install the project (CPU-only torch, bundled models: nothing downloads at run time).
# $1: extras, default "[ui,eval]" (the page and the eval suite; "" for the core alone); scripts/test.sh
# adds test and llm (llm: generated answers; llama-cpp-python builds from source, ~5 min).
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1-[ui,eval]}"
if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first and pinned: a bare `torch` would pull a multi-GB CUDA build
.venv/bin/python -m pip install -q "torch==2.13.0"
# llama-cpp-python (the llm extra) compiles llama.cpp: on every core, not cmake's one
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
if [[ "$extra" == *llm* ]]; then
  # A portable llama.cpp. Its default build uses the build machine's native flags, and on a CPU
  # with AMX its AMX kernels fault (SIGILL, "tileloadd") on any real prompt, killing the process
  # (issue 17). So: native off; AVX2/FMA/F16C on (every x86-64 CPU of the last ten years);
  # AVX-512 and AMX off. To build for your own CPU instead, for speed:
  #   LLAMA_CMAKE_ARGS="-DGGML_NATIVE=ON" bash scripts/setup.sh "[ui,eval,llm]"
  portable="-DGGML_NATIVE=OFF"
  if [ "$(uname -m)" = x86_64 ]; then
    portable="$portable -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    portable="$portable -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF"
    portable="$portable -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
  fi
  flags="${LLAMA_CMAKE_ARGS:-$portable}"
  # The flags the installed build was made with: a venv built otherwise (by an older setup, or
  # from pip's wheel cache, which ignores CMAKE_ARGS) is rebuilt, once.
  stamp=.venv/.llama-cpp-cmake-args
  if [ "$(cat "$stamp" 2>/dev/null)" != "$flags" ]; then
    echo "setup: building llama-cpp-python ($flags), ~5 min, once" >&2
    CMAKE_ARGS="$flags" .venv/bin/python -m pip install -q --no-cache-dir --force-reinstall --no-deps \
      "llama-cpp-python>=0.3.36"
    echo "$flags" >"$stamp"
  fi
fi
.venv/bin/python -m pip install -q -e ".${extra}"
