"""The pool's connection check after PostgreSQL dropped every idle connection.

That is what a restart does (tests/faults/test_database_restart.py proves it with a
real one); here the server-side ends of the pool's connections are terminated instead.
"""

import time

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool, PoolTimeout

from hatch.database import check_pooled_connection

POOL_SIZE = 4


def open_pool(check) -> ConnectionPool:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    pool = ConnectionPool(
        kwargs=params, min_size=POOL_SIZE, max_size=POOL_SIZE, timeout=2, check=check, open=True
    )
    pool.wait()
    return pool


def kill_idle_connections(pool: ConnectionPool) -> None:
    held = [pool.getconn() for _ in range(POOL_SIZE)]
    pids = [conn.info.backend_pid for conn in held]
    for conn in held:
        pool.putconn(conn)
    with psycopg.connect(**connection.get_connection_params() | {"autocommit": True}) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def first_query_seconds(pool: ConnectionPool) -> float:
    started = time.monotonic()
    with pool.connection() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    return time.monotonic() - started


@pytest.mark.django_db
def test_every_dead_idle_connection_is_replaced_at_once():
    pool = open_pool(check_pooled_connection)
    try:
        kill_idle_connections(pool)
        assert first_query_seconds(pool) < 0.5
    finally:
        pool.close()


@pytest.mark.django_db
def test_psycopgs_own_check_alone_makes_the_first_request_time_out():
    """Why hatch.database exists: psycopg_pool waits 1 s, then 2 s... between two failed
    checks, so four dead connections outlast a 2 s pool timeout."""
    pool = open_pool(ConnectionPool.check_connection)
    try:
        kill_idle_connections(pool)
        with pytest.raises(PoolTimeout):
            first_query_seconds(pool)
    finally:
        pool.close()
