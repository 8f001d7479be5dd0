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
.venv/bin/python -m pip install -q -e ".${extra}"
