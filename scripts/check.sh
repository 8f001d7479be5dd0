#!/usr/bin/env bash
# The static checks, settings in pyproject.toml: ruff (lint and format) and mypy on the library
# (rag/) and its faces (rag/ui/, rag/eval/), ruff on the tests too; import-linter's layer contracts. Any finding fails the run.
# scripts/test.sh (and so CI, .ci/run) runs this before the tests; alone: bash scripts/check.sh
# ($PYTHON: the interpreter that has ruff and mypy; default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-.venv/bin/python}"
echo "check: ruff check" >&2
"$py" -m ruff check rag tests
echo "check: ruff format --check" >&2
"$py" -m ruff format --check rag tests
echo "check: mypy" >&2
"$py" -m mypy
echo "check: lint-imports (the layers: stages import only earlier stages, rag imports no face)" >&2
"$(dirname "$py")/lint-imports" --no-cache
