"""make run's check that the PostgreSQL database answers, before migrate.

migrate would otherwise wait for the connection pool and report only its timeout. A missing
database on this machine is created; any other failure is reported with the driver's own
words. A SQLite DATABASE_URL (or none) needs nothing.
"""

import os
import sys
from pathlib import Path

# Run as a file, the script's folder is first on the path, not the project.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
