#!/usr/bin/env bash
# Installs everything, migrates, loads demo data and serves Hatch at http://127.0.0.1:8000.
# With no DATABASE_URL this development run uses a SQLite file (db.sqlite3); set
# DATABASE_URL=postgres://... to use PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh requirements.txt
export DEBUG=${DEBUG:-true}
python=.venv/bin/python

$python manage.py migrate --no-input
$python manage.py seed_demo
exec $python manage.py runserver "${HATCH_ADDRESS:-127.0.0.1:8000}"
