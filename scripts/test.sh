#!/usr/bin/env bash
# Run the tests: ruff (lint and format), unit tests, then every notebook end to end at smoke scale under nbval,
# then the plans of every figure against the smoke run's store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests
.venv/bin/ruff format --check src tests
work=_build/smoke
rm -rf "$work" && mkdir -p "$work"
# Smoke runs keep their own run store and claims, away from the book's.
export REPLICATE_STORE="$PWD/$work/store" REPLICATE_RESULTS="$PWD/$work/results"
.venv/bin/replicate prepare --scale smoke --out "$work/notebooks"
.venv/bin/python -m pytest tests "$work/notebooks" --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider "$@"
# The plans (replicate plan) name exactly the ensembles the notebooks trained; every scale's files plan.
.venv/bin/replicate plan all --scale smoke --check-store "$REPLICATE_STORE" >/dev/null
.venv/bin/replicate plan all --scale paper --device a100 | tail -3
