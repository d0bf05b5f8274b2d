#!/usr/bin/env bash
# Installs everything, migrates, loads demo data and serves Hatch at http://127.0.0.1:8000.
# With no DATABASE_URL this development run uses a SQLite file (db.sqlite3); set
# DATABASE_URL=postgres://... to use PostgreSQL. SMS and emails are logged, not sent, unless
# provider credentials are set (see README, Configuration).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh requirements.txt
export DEBUG=${DEBUG:-true}
# Sends run in the server process, right after the request commits, through the console
# providers (development without credentials): no worker to start. Production uses
# TASK_BACKEND=database and runs `manage.py db_worker`.
export TASK_BACKEND=${TASK_BACKEND:-immediate}
python=.venv/bin/python

$python manage.py migrate --no-input
$python manage.py seed_demo
exec $python manage.py runserver "${HATCH_ADDRESS:-127.0.0.1:8000}"
