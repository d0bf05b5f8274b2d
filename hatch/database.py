"""The PostgreSQL connection pool's health check (DATABASES["default"]["OPTIONS"]["pool"]).

psycopg_pool runs ``check`` on a connection before handing it out and replaces one that
fails. After a PostgreSQL restart every idle connection is dead, though, and the pool finds
that out one connection at a time, waiting 1 s, then 2 s, 4 s... between two failed checks
(a backoff meant for the rare stale connection): with a few idle connections the first
request after a restart waits past DB_POOL_TIMEOUT and fails. So on the first dead
connection this check has the whole pool checked at once: the dead ones are dropped, new
ones are opened, and the waiting request gets one of those.
"""

from psycopg import Connection
from psycopg_pool import ConnectionPool


def check_pooled_connection(conn: Connection) -> None:
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        # The pool sets _pool on each connection it hands out (psycopg_pool 3.1+).
        pool = getattr(conn, "_pool", None)
        if isinstance(pool, ConnectionPool):
            pool.check()  # checks the idle connections with the plain check: no recursion
        raise
