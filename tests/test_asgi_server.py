"""The production ASGI stack (daphne, whitenoise, the psycopg pool) under load.

Under ASGI, Django runs each sync view in a thread of its own; with per-thread persistent
connections, concurrent requests opened one PostgreSQL connection each until
max_connections refused the rest. The pool (DB_POOL_MAX_SIZE in hatch.settings) holds each
process to a fixed number, and requests wait for a free connection instead of failing.
"""

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from messaging import services
from messaging.events import InboundMessage
from messaging.tests.factories import UserFactory
from testing import live_server

CLIENTS = 64
REQUESTS_PER_CLIENT = 10
POOL_MAX_SIZE = 8
# Connections to the test database besides the server's: this test process's own. Its pool
# keeps min_size (2) open and has grown by one while pytest-django set the database up; one
# more of slack. The server's own count is held to the pool size exactly.
OWN_CONNECTIONS = 4

pytestmark = [pytest.mark.asgi_server, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_live_server(transactional_db):
    """daphne on the test database; stopped before pytest-django empties the tables."""
    server = live_server.for_test_database(env={"DB_POOL_MAX_SIZE": str(POOL_MAX_SIZE)})
    with server:
        yield server


def get(server, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    client.request("GET", path, headers=headers or {})
    response = client.getresponse()
    response.body = response.read()
    client.close()
    return response


def test_static_files_are_served_from_the_source_folders(asgi_live_server):
    response = get(asgi_live_server, "/static/js/inbox.js")

    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/javascript")
    assert response.body


def test_the_inbox_page_and_the_api_answer_through_daphne(asgi_live_server):
    assert get(asgi_live_server, "/health").status == 200
    page = get(asgi_live_server, "/")
    assert (page.status, page.getheader("Location")) == (302, "/accounts/login/?next=/")
    assert get(asgi_live_server, "/api/conversations").status == 401


def test_64_concurrent_api_clients_all_succeed_within_the_connection_pool(asgi_live_server, report):
    token = Token.objects.create(user=UserFactory())
    for number in range(20):
        services.message_receive(
            event=InboundMessage(
                from_contact=f"+1415555{1000 + number}", to_contact="+15005550006", body="Hello"
            )
        )
    headers = {"Authorization": f"Token {token.key}", "Accept": "application/json"}
    database = connection.settings_dict["NAME"]
    start = threading.Barrier(CLIENTS)

    def client() -> list[int | str]:
        outcomes = []
        conn = http.client.HTTPConnection("127.0.0.1", asgi_live_server.port, timeout=15)
        start.wait()
        for _ in range(REQUESTS_PER_CLIENT):
            try:
                conn.request("GET", "/api/conversations", headers=headers)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and len(json.loads(body)["conversations"]) == 20
                outcomes.append(200 if ok else f"{response.status}: {body[:200]!r}")
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                outcomes.append(f"{type(error).__name__}: {error}")
                conn.close()
        conn.close()
        return outcomes

    # Earlier threaded tests may have left this process's pool holding more connections;
    # the test counts what the server adds, from this process's own minimum.
    connection.close_pool()
    server_peak = total_peak = 0
    with connection.cursor() as cursor, ThreadPoolExecutor(CLIENTS) as pool:
        began = time.monotonic()
        futures = [pool.submit(client) for _ in range(CLIENTS)]
        while not all(future.done() for future in futures):
            cursor.execute(
                "SELECT count(*) FILTER (WHERE application_name = %s), count(*) "
                "FROM pg_stat_activity WHERE datname = %s",
                [live_server.APPLICATION_NAME, database],
            )
            server_count, total_count = cursor.fetchone()
            server_peak = max(server_peak, server_count)
            total_peak = max(total_peak, total_count)
            time.sleep(0.01)
        elapsed = time.monotonic() - began
        outcomes = [outcome for future in futures for outcome in future.result()]

    errors = [outcome for outcome in outcomes if outcome != 200]
    requests = CLIENTS * REQUESTS_PER_CLIENT
    report("asgi_load_requests", requests)
    report("asgi_load_errors", len(errors))
    report("asgi_load_requests_per_second", round(requests / elapsed))
    report("asgi_load_max_server_connections", server_peak)
    report("asgi_load_max_connections_to_test_database", total_peak)
    assert errors == []
    assert len(outcomes) == requests
    assert 0 < server_peak <= POOL_MAX_SIZE
    assert total_peak <= POOL_MAX_SIZE + OWN_CONNECTIONS
