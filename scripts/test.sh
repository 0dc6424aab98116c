#!/usr/bin/env bash
# Set up (idempotently) and run the whole test suite; extra arguments go to pytest.
#   scripts/test.sh           everything (what CI and the README run)
#   scripts/test.sh --fast    the inner loop: everything but the tests marked slow, spark or e2e
#                             (no Spark session, no full report); see the markers in pyproject.toml
set -euo pipefail
cd "$(dirname "$0")/.."
fast=()
if [ "${1:-}" = "--fast" ]; then
  shift
  fast=(-m "not slow and not spark and not e2e" -n 4)  # 4 workers on 2 cores: these tests mostly wait for Chromium
  export REPORTGEN_TEST_FAST=1  # a test that writes a whole report without the e2e marker fails (tests/conftest.py)
fi
bash scripts/setup.sh --test
exec .venv/bin/python -m pytest "${fast[@]}" "$@"
