"""PostgreSQL stops and starts again while clients send SMS through the API.

Hatch is served by daphne (testing.live_server) from a throwaway cluster of its own
(the shared one serves the other tests). Clients post ``/api/send_message`` in a loop; the
cluster is stopped, kept down, and started again. Meanwhile:

- every request answers quickly: 200, or 503 with a JSON ``{"error": ...}`` and
  ``Retry-After`` (never a hang, a traceback or an HTML 500); pages answer a 503 page;
- Hatch recovers by itself, without a restart: the pool checks connections before handing
  them out, so even after a restart nobody noticed (every pooled connection dead), the
  first requests succeed;
- no accepted message is lost: every message the API answered 200 for is in the database.
"""

import http.client
import json
import os
import threading
import time
from dataclasses import dataclass

import pytest

from testing.live_server import HOST, LiveServer, run_manage_command
from tests.faults.throwaway_postgres import ThrowawayPostgres

CLIENTS = 4
POOL_TIMEOUT = 2  # DB_POOL_TIMEOUT of the server: how long a request waits for a connection
BEFORE_SECONDS = 2
OUTAGE_SECONDS = 4
AFTER_SECONDS = 3
REQUEST_TIMEOUT = 30  # the clients' own: a hang would show as a long elapsed time
# Slowest acceptable answer during the outage: the pool's wait and a little more.
LONGEST_ANSWER_SECONDS = POOL_TIMEOUT + 3
RECOVERY_LIMIT_SECONDS = 10
QUIET_RESTART_REQUESTS = 10
# A well-formed session key the database does not know: reading it needs the database.
SESSION_COOKIE = f"sessionid={'a' * 32}"


@dataclass
class Answer:
    started: float
    elapsed: float
    status: int | None  # None: no answer at all (connection refused, reset, timeout)
    content_type: str
    retry_after: str | None
    body: str
    sent_text: str


def manage(env: dict[str, str], *args: str) -> str:
    result = run_manage_command(*args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def request(method: str, port: int, path: str, *, body=None, headers=None) -> Answer:
    started = time.monotonic()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    payload = json.dumps(body) if body is not None else None
    try:
        connection.request(method, path, body=payload, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        status = response.status
        content_type = response.getheader("Content-Type", "")
        retry_after = response.getheader("Retry-After")
    except OSError:
        status, text, content_type, retry_after = None, "", "", None
    finally:
        connection.close()
    return Answer(
        started=started,
        elapsed=time.monotonic() - started,
        status=status,
        content_type=content_type,
        retry_after=retry_after,
        body=text,
        sent_text=(body or {}).get("body", ""),
    )


@pytest.fixture
def cluster():
    postgres = ThrowawayPostgres()
    try:
        postgres.create()
        yield postgres
    finally:
        postgres.destroy()


def test_a_database_restart_under_load_answers_503_recovers_and_loses_nothing(cluster, figures):
    database_url = cluster.create_database("hatch")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hatch.test_settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "TASK_BACKEND": "database",
    }
    manage(env, "migrate", "--no-input", "-v", "0")
    token = manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "from rest_framework.authtoken.models import Token;"
        "print(Token.objects.create(user=User.objects.create_user('drill')).key)",
    ).split()[-1]

    server = LiveServer(
        database_url,
        env={
            "TASK_BACKEND": "database",
            "DB_POOL_TIMEOUT": str(POOL_TIMEOUT),
            "SECURE_SSL_REDIRECT": "false",
        },
    )
    answers: list[Answer] = []
    lock = threading.Lock()
    stop = threading.Event()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def client(number: int) -> None:
        sequence = 0
        while not stop.is_set():
            sequence += 1
            answer = request(
                "POST",
                server.port,
                "/api/send_message",
                body={
                    "to": f"+1415555{number:04d}",
                    "body": f"Restart drill {number}-{sequence}",
                },
                headers=headers,
            )
            with lock:
                answers.append(answer)
            if answer.status != 200:
                time.sleep(0.05)  # a client that backs off a little

    with server:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(BEFORE_SECONDS)
            cluster.stop("fast")
            stopped_at = time.monotonic()
            time.sleep(1)  # connections in the pool are dead now
            page = request("GET", server.port, "/", headers={"Cookie": SESSION_COOKIE})
            health = request("GET", server.port, "/health")
            time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
            cluster.start()
            restarted_at = time.monotonic()
            time.sleep(AFTER_SECONDS)
        finally:
            stop.set()
            for thread in threads:
                thread.join(REQUEST_TIMEOUT + 5)
        # A restart while nobody is asking: every idle connection in the pool is dead when
        # traffic resumes. The pool's check replaces them; not one request may fail.
        cluster.stop("fast")
        cluster.start()
        quiet_restart = [
            request(
                "POST",
                server.port,
                "/api/send_message",
                body={"to": "+14155550000", "body": f"After a quiet restart {n}"},
                headers=headers,
            )
            for n in range(QUIET_RESTART_REQUESTS)
        ]
        server_log = server.log_tail()

    statuses = sorted({answer.status for answer in answers}, key=str)
    assert set(statuses) <= {200, 503}, (statuses, server_log)

    during = [a for a in answers if stopped_at <= a.started < restarted_at]
    unavailable = [a for a in answers if a.status == 503]
    assert len(unavailable) >= CLIENTS, "the outage was not seen"
    for answer in unavailable:
        assert answer.content_type == "application/json", answer
        assert json.loads(answer.body)["error"], answer
        assert answer.retry_after is not None
    longest = max(a.elapsed for a in answers)
    assert longest < LONGEST_ANSWER_SECONDS, (longest, server_log)

    # Pages: a 503 page, not a 500. /health: 503 JSON.
    assert (page.status, page.content_type.split(";")[0]) == (503, "text/html"), page
    assert "briefly unavailable" in page.body
    assert health.status == 503 and json.loads(health.body)["status"] == "unavailable"

    # Recovered by itself: requests succeed again soon after the start, and keep succeeding.
    recovered = [a for a in answers if a.started >= restarted_at and a.status == 200]
    assert recovered, server_log
    first_success = min(a.started + a.elapsed for a in recovered)
    recovery = first_success - restarted_at
    assert recovery < RECOVERY_LIMIT_SECONDS
    after_recovery = [a for a in answers if a.started > first_success]
    assert after_recovery and all(a.status == 200 for a in after_recovery)

    assert [a.status for a in quiet_restart] == [200] * QUIET_RESTART_REQUESTS, (
        [(a.status, round(a.elapsed, 2), a.body[:80]) for a in quiet_restart],
        server_log,
    )

    # No accepted message lost: every 200 is in the database.
    answers += quiet_restart
    accepted = {a.sent_text for a in answers if a.status == 200}
    stored = {body for (body,) in cluster.query("hatch", "SELECT body FROM messaging_message")}
    lost = accepted - stored
    assert lost == set()

    figures.update(
        {
            "clients": CLIENTS,
            "requests": len(answers),
            "accepted_200": len(accepted),
            "answered_503": len(unavailable),
            "requests_during_outage": len(during),
            "other_statuses": 0,
            "outage_s": round(restarted_at - stopped_at, 1),
            "slowest_answer_s": round(longest, 2),
            "slowest_503_s": round(max(a.elapsed for a in unavailable), 2),
            "recovered_after_start_s": round(recovery, 2),
            "failed_after_a_quiet_restart": 0,
            "stored_not_acknowledged": len(stored - accepted),
            "lost": len(lost),
        }
    )
