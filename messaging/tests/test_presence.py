"""Presence over the inbox's websocket: who has a thread open, who is typing in it.

Each test opens sockets for two teammates on the production ASGI stack (session cookie,
origin check, auth) over the in-memory channel layer, and checks what the other teammate's
socket hears. Nothing is stored, so nothing is read back from the database.
"""

import asyncio
import contextlib
import uuid
from dataclasses import dataclass

import pytest
from asgiref.sync import async_to_sync

from messaging.consumers import FRAME_BURST
from messaging.tests.factories import UserFactory
from messaging.tests.test_realtime import (
    IN_MEMORY_LAYER,
    SAME_ORIGIN,
    inbox_socket,
    session_cookie_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

CONVERSATION = str(uuid.uuid4())
OTHER_CONVERSATION = str(uuid.uuid4())


@pytest.fixture(autouse=True)
def channel_layer(settings):
    """A fresh in-memory layer for each test (its queues belong to one event loop)."""
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER


@dataclass
class Teammate:
    user: object
    # Signed in beforehand, in the test's thread: the ORM refuses the scenario's event loop.
    session_cookie: tuple[bytes, bytes]


def teammate(username, first_name="", last_name="") -> Teammate:
    user = UserFactory(username=username, first_name=first_name, last_name=last_name)
    return Teammate(user, session_cookie_for(user))


@pytest.fixture
def ada():
    return teammate("ada", "Ada", "Lovelace")


@pytest.fixture
def ben():
    return teammate("ben", "Ben", "Okafor")


@contextlib.asynccontextmanager
async def signed_in(teammate: Teammate):
    socket = inbox_socket(SAME_ORIGIN, teammate.session_cookie)
    connected, _ = await socket.connect()
    assert connected
    try:
        yield socket
    finally:
        await socket.disconnect()


def run(scenario) -> None:
    async_to_sync(scenario)()


def presence(teammate: Teammate, activity, conversation_id=CONVERSATION, *, name=None) -> dict:
    """The event every inbox gets when ``teammate``'s page reports ``activity``."""
    user = teammate.user
    return {
        "type": "presence",
        "conversation_id": conversation_id,
        "user": {"id": user.pk, "name": name or user.get_full_name()},
        "activity": activity,
    }


async def still_open(socket) -> None:
    """The socket still answers: a ping gets its pong."""
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}


def test_viewing_a_thread_reaches_every_inbox_as_the_signed_in_user(ada, ben):
    async def scenario():
        async with signed_in(ada) as ada_socket, signed_in(ben) as ben_socket:
            await ada_socket.send_json_to({"type": "viewing", "conversation_id": CONVERSATION})
            assert await ben_socket.receive_json_from() == presence(ada, "viewing")
            # Ada's own tabs hear it too; a page ignores presence about its own user.
            assert await ada_socket.receive_json_from() == presence(ada, "viewing")

            await ada_socket.send_json_to({"type": "typing", "conversation_id": CONVERSATION})
            assert await ben_socket.receive_json_from() == presence(ada, "typing")
            await ada_socket.send_json_to({"type": "left", "conversation_id": CONVERSATION})
            assert await ben_socket.receive_json_from() == presence(ada, "left")

    run(scenario)


def test_a_teammate_without_a_full_name_is_named_by_username(ben):
    nameless = teammate("grace")

    async def scenario():
        async with signed_in(nameless) as socket, signed_in(ben) as ben_socket:
            await socket.send_json_to({"type": "viewing", "conversation_id": CONVERSATION})
            assert await ben_socket.receive_json_from() == presence(
                nameless, "viewing", name="grace"
            )

    run(scenario)


def test_a_page_cannot_speak_for_another_teammate(ada, ben):
    async def scenario():
        async with signed_in(ada) as ada_socket, signed_in(ben) as ben_socket:
            await ada_socket.send_json_to(
                {
                    "type": "typing",
                    "conversation_id": CONVERSATION,
                    "user": {"id": ben.user.pk, "name": "Ben Okafor"},
                    "user_id": ben.user.pk,
                    "activity": "left",
                }
            )
            assert await ben_socket.receive_json_from() == presence(ada, "typing")

    run(scenario)


def test_closing_the_socket_tells_the_others_it_left_the_thread_it_last_reported(ada, ben):
    async def scenario():
        async with signed_in(ben) as ben_socket:
            async with signed_in(ada) as ada_socket:
                for conversation_id in (OTHER_CONVERSATION, CONVERSATION):
                    await ada_socket.send_json_to(
                        {"type": "viewing", "conversation_id": conversation_id}
                    )
                    await ben_socket.receive_json_from()
            # The tab closed without a word.
            assert await ben_socket.receive_json_from() == presence(ada, "left")
            assert await ben_socket.receive_nothing(timeout=0.2)

    run(scenario)


def test_a_socket_that_left_its_thread_says_nothing_more_when_it_closes(ada, ben):
    async def scenario():
        async with signed_in(ben) as ben_socket:
            async with signed_in(ada) as ada_socket:
                for kind in ("viewing", "left"):
                    await ada_socket.send_json_to({"type": kind, "conversation_id": CONVERSATION})
                    assert (await ben_socket.receive_json_from())["activity"] == kind
            assert await ben_socket.receive_nothing(timeout=0.3)

    run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "viewing", "conversation_id": "not-a-uuid"},
        {"type": "viewing", "conversation_id": 42},
        {"type": "viewing", "conversation_id": None},
        {"type": "typing"},
        {"type": "staring", "conversation_id": CONVERSATION},
        {"type": "presence", "conversation_id": CONVERSATION, "activity": "viewing"},
        {"conversation_id": CONVERSATION},
        ["viewing", CONVERSATION],
        "viewing",
    ],
)
def test_a_malformed_presence_frame_is_ignored_and_the_socket_stays_open(ada, ben, frame):
    async def scenario():
        async with signed_in(ada) as ada_socket, signed_in(ben) as ben_socket:
            await ada_socket.send_json_to(frame)
            assert await ben_socket.receive_nothing(timeout=0.2)
            await still_open(ada_socket)
        # Nothing was reported, so closing says nothing either.

    run(scenario)


def test_frames_that_are_not_json_are_ignored_and_the_socket_stays_open(ada, ben):
    async def scenario():
        async with signed_in(ada) as ada_socket, signed_in(ben) as ben_socket:
            await ada_socket.send_to(text_data="{viewing")
            await ada_socket.send_to(bytes_data=b"\x00\x01")
            assert await ben_socket.receive_nothing(timeout=0.2)
            await still_open(ada_socket)
            await ada_socket.send_json_to({"type": "viewing", "conversation_id": CONVERSATION})
            assert await ben_socket.receive_json_from() == presence(ada, "viewing")

    run(scenario)


def test_a_flood_of_frames_is_cut_down_and_the_socket_recovers(ada, ben):
    async def scenario():
        async with signed_in(ada) as ada_socket, signed_in(ben) as ben_socket:
            for _ in range(50):
                await ada_socket.send_json_to({"type": "typing", "conversation_id": CONVERSATION})
            heard = 0
            while not await ben_socket.receive_nothing(timeout=0.3):
                await ben_socket.receive_json_from()
                heard += 1
            # The burst gets through, then about five a second; 50 in a moment do not.
            assert FRAME_BURST <= heard <= FRAME_BURST + 5
            await asyncio.sleep(1)
            await ada_socket.send_json_to({"type": "left", "conversation_id": CONVERSATION})
            assert await ben_socket.receive_json_from() == presence(ada, "left")

    run(scenario)
