"""The live inbox: who may open the websocket, and what each write pushes to it.

The tests are transactional, so that ``transaction.on_commit`` runs as in production. Each
drives the socket from an async scenario run with ``async_to_sync``; the writes it awaits
through ``db`` run back in the test's thread, on the test's database connection.
"""

import asyncio
import contextlib
import os

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client

from conversations.services import conversation_mark_read
from core import realtime
from core.realtime import INBOX_GROUP
from emails.services import email_send
from messaging import services
from messaging.delivery import sms_outbox
from messaging.events import InboundMessage, StatusChanged
from messaging.models import Conversation, Message, MessageStatus
from messaging.tests.factories import UserFactory
from testing import live_server
from testing.redis_databases import redis_channel_layers, redis_database

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
# Django's test environment adds "testserver" to ALLOWED_HOSTS; a browser sends its page's
# origin, which AllowedHostsOriginValidator checks against that list.
SAME_ORIGIN = (b"origin", b"http://testserver")
CUSTOMER, HATCH_NUMBER = "+14155552671", "+15005550006"

db = database_sync_to_async


@pytest.fixture(autouse=True)
def channel_layer(settings):
    """A fresh in-memory layer for each test.

    Assigning the setting drops the cached layer, whose queues belong to an earlier test's
    event loop.
    """
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER


@pytest.fixture
def session_cookie():
    return session_cookie_for(UserFactory(username="casey"))


def session_cookie_for(user) -> tuple[bytes, bytes]:
    """The cookie header of a browser signed in as ``user``."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


def inbox_socket(*headers) -> WebsocketCommunicator:
    # Imported here rather than at the top: the origin validator reads ALLOWED_HOSTS when
    # hatch.asgi is first imported, and the test environment adds "testserver" only after
    # the test modules have been collected.
    from hatch.asgi import application

    return WebsocketCommunicator(application, "/ws/inbox/", headers=list(headers))


@contextlib.asynccontextmanager
async def open_inbox(session_cookie):
    socket = inbox_socket(SAME_ORIGIN, session_cookie)
    connected, _ = await socket.connect()
    assert connected
    try:
        yield socket
    finally:
        await socket.disconnect()


def run(scenario) -> None:
    async_to_sync(scenario)()


def receive_sms(body="Is my table ready?", sid="SM" + "1" * 32) -> Message:
    message, _ = services.message_receive(
        event=InboundMessage(
            from_contact=CUSTOMER, to_contact=HATCH_NUMBER, body=body, provider_message_id=sid
        )
    )
    return message


# Who may connect


def test_an_anonymous_socket_is_refused_with_4401_and_hears_nothing():
    async def scenario():
        socket = inbox_socket(SAME_ORIGIN)
        # Closed before the handshake completes: daphne answers it with HTTP 403, which
        # a browser reports as code 1006.
        assert await socket.connect() == (False, 4401)
        await db(services.message_send)(to=CUSTOMER, body="Not for strangers")
        assert await socket.receive_nothing(timeout=0.3)

    run(scenario)


def test_a_socket_from_another_site_is_refused(session_cookie):
    async def scenario():
        socket = inbox_socket((b"origin", b"https://evil.example"), session_cookie)
        connected, _ = await socket.connect()
        assert not connected

    run(scenario)


def test_a_signed_in_user_connects_and_a_ping_gets_a_pong(session_cookie):
    async def scenario():
        async with open_inbox(session_cookie) as socket:
            await socket.send_json_to({"type": "ping"})
            assert await socket.receive_json_from() == {"type": "pong"}
            # Anything else is ignored: the page writes through the HTTP API.
            await socket.send_json_to({"type": "message.created", "message": {}})
            assert await socket.receive_nothing(timeout=0.2)

    run(scenario)


# What each write pushes, once committed


def test_a_sent_message_is_pushed_with_its_conversation(session_cookie):
    async def scenario():
        async with open_inbox(session_cookie) as socket:
            message = await db(services.message_send)(to=CUSTOMER, body="Your table is ready")
            event = await socket.receive_json_from()
            assert event["type"] == "message.created"
            assert event["message"]["id"] == str(message.id)
            assert event["message"]["status"] == "queued"
            assert event["message"]["body"] == "Your table is ready"
            assert event["conversation"]["conversation_id"] == str(message.conversation_id)
            assert event["conversation"]["preview"] == "Your table is ready"
            assert event["conversation"]["state"] == "open"
            # Every inbox gets it: no one user's unread count, but the inbound count each
            # page works its own out from.
            assert "unread_count" not in event["conversation"]
            assert event["conversation"]["inbound_count"] == 0
            assert await socket.receive_nothing(timeout=0.2)  # one event per write

    run(scenario)


def test_a_received_message_is_pushed_with_the_inbound_count(session_cookie):
    async def scenario():
        async with open_inbox(session_cookie) as socket:
            first = await db(receive_sms)(body="Hello?", sid="SM" + "1" * 32)
            await db(receive_sms)(body="Anyone there?", sid="SM" + "2" * 32)
            events = [await socket.receive_json_from(), await socket.receive_json_from()]
            assert [e["type"] for e in events] == ["message.created", "message.created"]
            assert events[0]["message"]["id"] == str(first.id)
            assert events[0]["message"]["direction"] == "inbound"
            assert [e["conversation"]["inbound_count"] for e in events] == [1, 2]
            assert not any("unread_count" in e["conversation"] for e in events)
            # Twilio retrying the same webhook stores nothing and pushes nothing.
            await db(receive_sms)(body="Hello?", sid="SM" + "1" * 32)
            assert await socket.receive_nothing(timeout=0.3)

    run(scenario)


def test_a_status_callback_pushes_the_new_status(session_cookie):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")

    def callback(status):
        services.message_status_apply(
            event=StatusChanged(
                provider_message_id="SM" + "3" * 32,
                provider_status=status,
                status=status,
                message_id=str(message.id),
                payload={"MessageStatus": status},
            )
        )

    async def scenario():
        async with open_inbox(session_cookie) as socket:
            await db(callback)("delivered")
            event = await socket.receive_json_from()
            assert event["type"] == "message.updated"
            assert event["message"]["id"] == str(message.id)
            assert event["message"]["status"] == "delivered"
            assert event["message"]["external_sid"] == "SM" + "3" * 32
            # A late "sent" changes nothing, so it pushes nothing.
            await db(callback)("sent")
            assert await socket.receive_nothing(timeout=0.3)

    run(scenario)


def test_a_delivery_by_the_worker_pushes_the_sent_status(session_cookie, fake_providers):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")

    async def scenario():
        async with open_inbox(session_cookie) as socket:
            assert await db(sms_outbox.deliver)(str(message.id)) == "sent"
            event = await socket.receive_json_from()
            assert (event["type"], event["message"]["status"]) == ("message.updated", "sent")

    run(scenario)


def test_a_retried_message_is_pushed_as_queued_again(session_cookie):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")
    Message.objects.filter(id=message.id).update(status=MessageStatus.FAILED, error_code=30003)

    async def scenario():
        async with open_inbox(session_cookie) as socket:
            await db(sms_outbox.retry_failed)(ids=[message.id])
            event = await socket.receive_json_from()
            assert event["type"] == "message.updated"
            assert (event["message"]["status"], event["message"]["error_code"]) == ("queued", None)

    run(scenario)


def test_marking_a_conversation_read_tells_that_users_own_pages_alone(session_cookie):
    conversation_id = receive_sms().conversation_id
    receive_sms(body="Hello?", sid="SM" + "2" * 32)
    reader = get_user_model().objects.get(username="casey")
    teammate_cookie = session_cookie_for(UserFactory(username="dana"))

    async def scenario():
        async with open_inbox(session_cookie) as socket, open_inbox(teammate_cookie) as other:
            await db(conversation_mark_read)(conversation_id=conversation_id, user=reader)
            event = await socket.receive_json_from()
            assert event == {
                "type": "conversation.read",
                "conversation_id": str(conversation_id),
                "inbound_read": 2,
            }
            # Their teammate's unread count is their own: nothing for them.
            assert await other.receive_nothing(timeout=0.3)
            # Already read: nothing changed, nothing is pushed.
            await db(conversation_mark_read)(conversation_id=conversation_id, user=reader)
            assert await socket.receive_nothing(timeout=0.3)

    run(scenario)


def test_a_sent_email_is_pushed(session_cookie):
    async def scenario():
        async with open_inbox(session_cookie) as socket:
            email = await db(email_send)(
                to_email="ada@example.com", subject="Your order", body="It ships today."
            )
            event = await socket.receive_json_from()
            assert event["type"] == "email.created"
            assert event["email"]["id"] == str(email.id)
            assert event["email"]["status"] == "queued"

    run(scenario)


def test_every_open_inbox_hears_each_event(session_cookie):
    other_cookie = session_cookie_for(UserFactory(username="dana"))

    async def scenario():
        async with open_inbox(session_cookie) as mine, open_inbox(other_cookie) as theirs:
            await db(services.message_send)(to=CUSTOMER, body="Team inbox")
            for socket in (mine, theirs):
                assert (await socket.receive_json_from())["type"] == "message.created"

    run(scenario)


# The transaction boundary


def test_a_rolled_back_write_pushes_nothing(session_cookie):
    class Abandon(Exception):
        pass

    def send_then_roll_back():
        with contextlib.suppress(Abandon), transaction.atomic():
            services.message_send(to=CUSTOMER, body="Never committed")
            receive_sms()
            raise Abandon

    async def scenario():
        async with open_inbox(session_cookie) as socket:
            await db(send_then_roll_back)()
            assert await socket.receive_nothing(timeout=0.5)

    run(scenario)
    assert not Message.objects.exists()


def test_nothing_is_published_before_the_commit():
    # A listener on the layer itself: a socket's consumer would wait for this thread (it
    # tidies database connections before each event), which the open transaction holds.
    layer = get_channel_layer()

    async def next_event(channel, timeout):
        try:
            return (await asyncio.wait_for(layer.receive(channel), timeout))["event"]
        except TimeoutError:
            return None

    def send_inside_a_transaction(channel):
        with transaction.atomic():
            services.message_send(to=CUSTOMER, body="Wait for it")
            assert async_to_sync(next_event)(channel, 0.3) is None

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(INBOX_GROUP, channel)
        await db(send_inside_a_transaction)(channel)
        assert (await next_event(channel, 1))["type"] == "message.created"

    run(scenario)


def test_an_unreachable_channel_layer_never_fails_the_write(settings, api_client, caplog):
    # Redis down, as a real layer sees it: nothing listens on port 9.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }

    response = api_client.post(
        "/api/send_message", {"to": CUSTOMER, "body": "Still sent"}, format="json"
    )

    assert response.status_code == 200
    assert Message.objects.get(id=response.json()["message_id"]).body == "Still sent"
    assert Conversation.objects.get().message_count == 1
    realtime.flush()  # the Redis layer publishes from its own thread
    assert "Could not publish an inbox event" in caplog.text


# Several processes: the Redis layer


@pytest.fixture
def redis_layer(settings):
    with redis_database(REDIS_TEST_URL) as url:
        settings.CHANNEL_LAYERS = redis_channel_layers(url)
        yield url


def test_an_event_from_another_process_reaches_the_socket_through_redis(
    redis_layer, session_cookie
):
    """The production shape: a worker or another web process writes, this process pushes."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hatch.test_settings",
        "DATABASE_URL": live_server.database_url(connection.settings_dict),
        "REDIS_URL": redis_layer,
    }

    def send_from_another_process():
        return live_server.run_manage_command(
            "send_sms", "--to", CUSTOMER, "--body", "From afar", env=env, timeout=60
        )

    async def scenario():
        async with open_inbox(session_cookie) as socket:
            result = await asyncio.to_thread(send_from_another_process)
            assert result.returncode == 0, result.stderr
            # Generous: on a loaded machine the hop through Redis has taken over 5 s.
            event = await socket.receive_json_from(timeout=20)
            assert event["type"] == "message.created"
            assert event["message"]["body"] == "From afar"
            # send_sms prints "Message <id>: queued (...)".
            assert result.stdout.startswith(f"Message {event['message']['id']}: queued")

    run(scenario)
