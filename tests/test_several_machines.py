"""Hatch as it is deployed on several machines: two web processes and three delivery workers
sharing one PostgreSQL and one Redis.

Web process A and web process B are daphne servers on two ports (testing.live_server); the
workers are ``manage.py db_worker`` processes (tests.faults.conftest.Workers) talking to the
fake Twilio. Everything crosses process boundaries as in production:

- a message sent through A is published by A to the Redis channel layer and reaches a
  websocket open on B;
- sends taken by both web processes are queued in the database and claimed by the
  workers, and each SMS reaches Twilio exactly once, however the three of them interleave.
"""

import asyncio
import json
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest
import requests
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token

from messaging.models import Message, MessageStatus
from messaging.tests.factories import UserFactory
from testing import live_server
from testing.fake_providers import Reply
from testing.redis_databases import redis_database
from tests.faults.accounting import accepted_per_record, sms_id
from tests.faults.conftest import Workers, worker_environment

pytestmark = [pytest.mark.asgi_server, pytest.mark.django_db(transaction=True)]

# A database of its own on the shared Redis: messaging/tests/test_realtime.py and
# tests/test_throttling.py use 15, bench 14; each flushes its own.
REDIS_TEST_URL = "redis://127.0.0.1:6379/13"
SENDS = 1_000
CLIENT_THREADS = 8
WORKERS = 3
# Twilio answers in 100-300 ms; a shorter answer keeps the run short while every worker
# still has calls in flight when the others claim.
TWILIO_ANSWER_SECONDS = 0.05
# Generous: on a loaded machine the hop through Redis has taken over 5 s
# (messaging/tests/test_realtime.py).
LIVE_EVENT_SECONDS = 20
# The socket is read until it has been quiet this long.
QUIET_SECONDS = 3
DELIVERY_LIMIT_SECONDS = 180


@pytest.fixture
def redis_url():
    with redis_database(REDIS_TEST_URL) as url:
        yield url


@pytest.fixture
def machines(transactional_db, fake_providers, redis_url):
    """Web processes A and B and three workers; stopped before pytest-django empties the
    tables (this fixture is set up after transactional_db, so it is torn down before it)."""
    fake = fake_providers
    fake.set_mode("twilio", Reply(delay=TWILIO_ANSWER_SECONDS))
    shared = {
        "REDIS_URL": redis_url,
        "TASK_BACKEND": "database",
        # One teammate sends all of it: no throttle, no daily limit in the way.
        "SEND_RATE_LIMIT": "1000000/second",
        "SMS_DAILY_LIMIT_PER_USER": "0",
        "SMS_DAILY_LIMIT": "0",
        "LOG_LEVEL": "WARNING",
    }
    provider = {
        "TWILIO_API_BASE_URL": fake.base_url,
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    servers = [
        live_server.for_test_database(env={**shared, **provider}),
        live_server.for_test_database(env={**shared, **provider}),
    ]
    workers = Workers(worker_environment(fake, **shared))
    try:
        # From this (the main) thread: a server dies with the thread that started it.
        for server in servers:
            server.start()
        workers.start(WORKERS)
        yield (*servers, workers)
    finally:
        workers.close()
        for server in servers:
            server.close()


class InboxSocket:
    """A signed-in browser's /ws/inbox/ socket, read in a thread of its own; every event it
    receives goes to ``events``."""

    def __init__(self, server: live_server.LiveServer, user):
        browser = Client()
        browser.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        self.cookie = f"{name}={browser.cookies[name].value}"
        self.server = server
        self.events: queue.Queue[dict] = queue.Queue()
        self._opened = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="inbox-socket", daemon=True)

    def __enter__(self) -> "InboxSocket":
        self._thread.start()
        if not self._opened.wait(10) or self._error:
            raise AssertionError(
                f"The inbox socket on {self.server.url} did not open: {self._error!r}\n"
                f"{self.server.log_tail()}"
            )
        return self

    def __exit__(self, *exc_info) -> None:
        self._loop.call_soon_threadsafe(self._closing.set)
        self._thread.join(10)

    def wait_for(self, kind: str, message_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event.get("type") == kind and event.get("message", {}).get("id") == message_id:
                return event
        raise AssertionError(f"No {kind} event for {message_id} within {timeout} s")

    def drain_until_quiet(self, *, seconds: float, limit: float) -> list[dict]:
        """Every event until none has come for ``seconds`` (B may still be pushing a
        backlog when the database says all is sent), or ``limit`` seconds in all."""
        events = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                events.append(self.events.get(timeout=seconds))
            except queue.Empty:
                break
        return events + self.drain()

    def drain(self) -> list[dict]:
        events = []
        while True:
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                return events

    def _run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as error:  # reported by __enter__, or lost with the socket
            self._error = error
            self._opened.set()

    async def _listen(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        url = self.server.url.replace("http://", "ws://") + "/ws/inbox/"
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, origin=self.server.url, headers={"Cookie": self.cookie}) as ws,
        ):
            self._opened.set()
            reading = asyncio.ensure_future(self._read(ws))
            await self._closing.wait()
            await ws.close()
            await reading

    async def _read(self, ws) -> None:
        async for frame in ws:
            if frame.type == aiohttp.WSMsgType.TEXT:
                self.events.put(json.loads(frame.data))


def api_session(token: Token) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy between the test and 127.0.0.1
    session.headers["Authorization"] = f"Token {token.key}"
    return session


def test_two_web_processes_and_three_workers_share_live_events_and_send_each_sms_once(
    machines, fake_providers, report
):
    server_a, server_b, workers = machines
    fake = fake_providers
    user = UserFactory(username="casey")
    token = Token.objects.create(user=user)

    with InboxSocket(server_b, user) as socket_b:
        # Live across processes: sent through A, pushed by B.
        sent_at = time.monotonic()
        response = api_session(token).post(
            f"{server_a.url}/api/send_message",
            json={"to": "+14155552671", "body": "Through A, heard on B"},
            timeout=10,
        )
        assert response.status_code == 200, f"{response.text}\n{server_a.log_tail()}"
        first_id = response.json()["message_id"]
        event = socket_b.wait_for("message.created", first_id, LIVE_EVENT_SECONDS)
        assert event["message"]["body"] == "Through A, heard on B"
        report("seconds from a send on A to its event on B", round(time.monotonic() - sent_at, 3))

        # A thousand sends, alternately through A and B, by clients in several threads.
        sessions = threading.local()

        def send(number: int) -> str:
            if not hasattr(sessions, "session"):
                sessions.session = api_session(token)
            server = (server_a, server_b)[number % 2]
            answer = sessions.session.post(
                f"{server.url}/api/send_message",
                json={"to": f"+1415555{number % 100:04d}", "body": f"Machines {number}"},
                timeout=30,
            )
            assert answer.status_code == 200, f"{answer.text}\n{server.log_tail()}"
            return answer.json()["message_id"]

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            sent_ids = list(pool.map(send, range(SENDS)))
        accepted_in = time.monotonic() - started

        deadline = started + DELIVERY_LIMIT_SECONDS
        while (pending := Message.objects.exclude(status=MessageStatus.SENT).count()) > 0:
            assert time.monotonic() < deadline, (
                f"{pending} messages not sent after {DELIVERY_LIMIT_SECONDS} s\n"
                f"{workers.log_tail()}"
            )
            time.sleep(0.2)
        delivered_in = time.monotonic() - started
        events = socket_b.drain_until_quiet(seconds=QUIET_SECONDS, limit=LIVE_EVENT_SECONDS)

    assert len(set(sent_ids)) == SENDS
    every_id = {first_id, *sent_ids}
    # Exactly once: Twilio stored one SMS per Hatch message, none twice, none missing.
    accepted = accepted_per_record(fake.twilio_messages(), sms_id)
    assert set(accepted) == every_id
    assert set(accepted.values()) == {1}
    assert len(fake.twilio_messages()) == SENDS + 1
    twilio_sids = {sms_id(r): r.message_id for r in fake.twilio_messages()}
    stored_sids = {
        str(pk): sid for pk, sid in Message.objects.values_list("id", "provider_message_id")
    }
    assert stored_sids == twilio_sids
    assert workers.alive() == WORKERS

    # Every send was heard on B: a socket that falls behind is not dropped from (the
    # layer's capacity, hatch.settings.CHANNEL_LAYERS; channels_redis keeps 100).
    created_on_b = {e["message"]["id"] for e in events if e.get("type") == "message.created"}
    report("sends accepted per second (A and B together)", round(SENDS / accepted_in, 1))
    report("seconds to send all through Twilio", round(delivered_in, 1))
    report("message.created events heard on B", len(created_on_b & set(sent_ids)))
    assert created_on_b >= set(sent_ids)
