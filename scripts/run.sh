#!/usr/bin/env bash
# Installs everything, migrates, loads demo data and serves Hatch at http://127.0.0.1:8000
# (HATCH_ADDRESS=host:port, or a port, serves elsewhere). With no DATABASE_URL this
# development run uses a SQLite file (db.sqlite3); set DATABASE_URL=postgres://... to use
# PostgreSQL (a missing local database is created). SMS and emails are logged, not sent,
# unless provider credentials are set (see README, Configuration).
set -euo pipefail
cd "$(dirname "$0")/.."

address=${HATCH_ADDRESS:-127.0.0.1:8000}
case $address in
    *:*) host=${address%:*} port=${address##*:} ;;
    *) host=127.0.0.1 port=$address ;;
esac
if ! [[ $port =~ ^[0-9]+$ ]] || [ -z "$host" ]; then
    echo "run: HATCH_ADDRESS must be host:port or a port, such as 127.0.0.1:8001, not '$address'." >&2
    exit 1
fi
# seed_demo prints the demo login with this address.
export HATCH_ADDRESS=$host:$port

scripts/bootstrap.sh requirements.txt
python=.venv/bin/python

# Development settings, which manage.py commands must see too (run in another shell, or
# after this one): the settings read .env, and without DEBUG=true they ask for production
# secrets. So they go into .env when there is none, and a value .env sets is never
# overridden here. TASK_BACKEND=immediate: sends run in the server process, right after
# the request commits, through the console providers (development without credentials):
# no worker to start. Production uses TASK_BACKEND=database and runs `manage.py db_worker`.
development=(DEBUG=true "TASK_BACKEND=${TASK_BACKEND:-immediate}")
if [ ! -e .env ]; then
    {
        echo "# Written by make run (scripts/run.sh) because there was no .env: the development"
        echo "# settings it serves with, which manage.py commands run here read too. Yours to"
        echo "# edit; make run never overwrites it. Every setting is in .env.example."
        echo "DEBUG=true"
        echo "# Sends run in the process that accepts them: no worker to start."
        echo "${development[1]}"
        if [ -n "${DATABASE_URL:-}" ]; then echo "DATABASE_URL=$DATABASE_URL"; fi
    } >.env
    echo "run: wrote .env with the development settings this run uses (${development[*]}${DATABASE_URL:+ and your DATABASE_URL}), so that manage.py commands use them too. Edit it as you like: make run never overwrites it."
fi
missing=()
for setting in "${development[@]}"; do
    name=${setting%%=*}
    # The environment wins over .env, in the commands as here.
    if [ -z "${!name:-}" ] && ! grep -Eq "^[[:space:]]*(export[[:space:]]+)?$name=" .env; then
        export "${setting?}"
        missing+=("$setting")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "run: warning: .env does not set ${missing[*]}, which this run uses; manage.py" >&2
    echo "  commands run outside make run will not, unless you add that to .env." >&2
fi

# The address must be free, and a PostgreSQL database must answer (a missing local one is
# created): each says what to do otherwise.
$python scripts/address_free.py "$host" "$port"
$python scripts/database_ready.py

$python manage.py migrate --no-input
$python manage.py seed_demo
# Scheduled sends, retries and broadcasts wait for their time, and with
# TASK_BACKEND=immediate no queue holds a task for later: a sweeper beside the server sends
# each as it falls due (and stops with it).
$python manage.py sweep_outbox --loop 5 >/dev/null &
sweeper=$!
trap 'kill "$sweeper" 2>/dev/null' EXIT
$python manage.py runserver "$host:$port"
