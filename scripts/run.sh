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

# The address must be free: runserver (daphne) only logs a failure to listen, and keeps
# running without serving anything.
$python - "$host" "$port" <<'PY'
import errno
import socket
import sys

host, port = sys.argv[1].strip("[]"), int(sys.argv[2])


def bind(port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        # As the server does: a connection of an earlier run in TIME_WAIT does not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


try:
    bind(port)
except OSError as error:
    if error.errno != errno.EADDRINUSE:
        sys.exit(
            f"run: cannot serve on {sys.argv[1]}:{port}: {error.strerror}. "
            "Set HATCH_ADDRESS to an address of this machine, such as 127.0.0.1:8000."
        )
    for free in range(port + 1, min(port + 100, 65536)):
        try:
            bind(free)
            break
        except OSError:
            continue
    else:
        free = "<port>"
    sys.exit(
        f"run: port {port} is in use on {sys.argv[1]}: another server listens there (an "
        f"earlier make run?). Stop it, or serve on another port: "
        f"HATCH_ADDRESS={sys.argv[1]}:{free} make run"
    )
PY

# A PostgreSQL database must answer before migrate, which would otherwise wait for the
# connection pool and report only its timeout. A missing database on this machine is
# created; any other failure is reported with the driver's own words.
$python - <<'PY'
import os
import sys

source = "the environment" if "DATABASE_URL" in os.environ else ".env"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hatch.settings")
from django.conf import settings  # noqa: E402

database = settings.DATABASES["default"]
if database["ENGINE"] != "django.db.backends.postgresql":
    sys.exit(0)

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

name, host = database["NAME"], database["HOST"]
parameters = {
    "user": database["USER"] or None,
    "password": database["PASSWORD"] or None,
    "host": host or None,
    "port": database["PORT"] or None,
    "connect_timeout": 5,
}
try:
    psycopg.connect(dbname=name, **parameters).close()
    sys.exit(0)
except psycopg.OperationalError as error:
    failure = str(error).strip()

local = host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")
if local and f'database "{name}" does not exist' in failure:
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **parameters) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        sys.exit(
            f"run: the PostgreSQL database {name!r} in DATABASE_URL (from {source}) does not "
            f"exist, and creating it failed:\n  {str(error).strip()}\n"
            f"Create it (createdb {name}), or point DATABASE_URL at one that exists."
        )
    print(f"run: created the PostgreSQL database {name!r} named by DATABASE_URL (from {source}).")
    sys.exit(0)

where = f"{host or 'the local socket'}:{database['PORT'] or 5432}"
sys.exit(
    f"run: cannot connect to the PostgreSQL database {name!r} at {where}, named by "
    f"DATABASE_URL (from {source}):\n  {failure}\n"
    f"Start PostgreSQL there or correct DATABASE_URL (or remove it from {source}: make run "
    "then uses a SQLite file)."
)
PY

$python manage.py migrate --no-input
$python manage.py seed_demo
exec $python manage.py runserver "$host:$port"
