#!/usr/bin/env bash
# Installs everything and runs the whole test suite on PostgreSQL: lint, format, tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k conversation -x
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh requirements-dev.txt
scripts/services.sh

.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
