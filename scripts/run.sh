#!/usr/bin/env bash
# Set up, then start the chat page over seeds/ on http://127.0.0.1:7860 (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/rag serve --ingest seeds/ "$@"
