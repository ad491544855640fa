#!/usr/bin/env bash
# Build the book at laptop scale from nothing: set-up, every notebook executed, HTML in _build/html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/replicate book "$@"
