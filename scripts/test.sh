#!/usr/bin/env bash
# Installs everything and runs the whole test suite on PostgreSQL: lint, format, layers, tests.
# Extra arguments go to pytest, e.g. scripts/test.sh -k conversation -x
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh requirements-dev.txt
scripts/services.sh

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The layers: .importlinter's contracts (docs/architecture.md).
.venv/bin/lint-imports
exec .venv/bin/pytest "$@"
