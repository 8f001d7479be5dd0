#!/usr/bin/env bash
# Set up (project with every extra: the page, the eval suite, the generation backends and their
# test model, the test tools; Debian's chromium for the page tests), check (scripts/check.sh:
# ruff and mypy), then run the tests. Arguments go to pytest, e.g. the unit tests alone:
#   bash scripts/test.sh -m "not model and not llm and not page and not slow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh "[ui,eval,test,llm]"
# The page tests drive Debian's chromium through playwright (never a downloaded browser).
if [ ! -x /usr/bin/chromium ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  { $sudo_ apt-get update -qq && $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
    || echo "warning: could not install chromium; the browser tests will skip" >&2
fi
bash scripts/check.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python -m pytest -q "$@"
