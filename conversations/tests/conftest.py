"""Fixtures of the conversations tests: teammates, their API clients, conversations made
through the API as a person makes them, and the inbox events that reach each group.

Conversations are made through HTTP rather than the channel apps' services: this app sits
below them (.importlinter) and its tests do too.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.realtime import INBOX_GROUP, user_group
from team.models import Role, Teammate


@pytest.fixture
def make_user(db):
    """A user with a role (team.signals gives each a Teammate row)."""

    def make(username: str, *, role: str = Role.AGENT, **fields):
        user = get_user_model().objects.create_user(username=username, **fields)
        Teammate.objects.filter(user=user).update(role=role)
        return get_user_model().objects.get(pk=user.pk)

    return make


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def ada(make_user):
    return make_user("ada", role=Role.ADMIN, first_name="Ada", last_name="Lovelace")


@pytest.fixture
def ben(make_user):
    return make_user("ben", first_name="Ben", last_name="Okafor")


@pytest.fixture
def admin_api(ada):
    return token_client(ada)


@pytest.fixture
def agent_api(ben):
    return token_client(ben)


@pytest.fixture
def conversation(agent_api) -> str:
    """An internal conversation (with "Front desk"), by id."""
    response = agent_api.post(
        "/api/send_message", {"to": "Front desk", "body": "Table 4 is ready"}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["conversation_id"]


@pytest.fixture
def sms_conversation(agent_api) -> str:
    """An SMS conversation with +14155552671 (who becomes a contact), by id."""
    response = agent_api.post(
        "/api/send_message", {"to": "+14155552671", "body": "Your table is ready"}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["conversation_id"]


@pytest.fixture
def email_thread(agent_api) -> str:
    """An email thread with pat@example.com, by id."""
    response = agent_api.post(
        "/api/send_email",
        {"to_email": "pat@example.com", "subject": "Your order", "body": "It shipped."},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["email"]["thread_id"]


class Listener:
    """A channel in the channel layer joined to groups, as an inbox socket is."""

    def __init__(self, layer):
        self.layer = layer
        self.channels: dict[str, str] = {}

    def join(self, group: str) -> None:
        async def join():
            channel = await self.layer.new_channel()
            await self.layer.group_add(group, channel)
            return channel

        self.channels[group] = async_to_sync(join)()

    def events(self, group: str) -> list[dict]:
        """What reached the group so far, oldest first."""

        async def drain():
            found = []
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channels[group]), 0.05)
                except TimeoutError:
                    return found
                found.append(message["event"])

        return async_to_sync(drain)()


@pytest.fixture
def inbox(settings):
    """The events every inbox hears (``inbox.events()``) and each user's own
    (``inbox.of(user)``), through a real in-memory channel layer."""
    # Assigning the setting gives this test a fresh layer.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    listener = Listener(get_channel_layer())
    listener.join(INBOX_GROUP)

    class Inbox:
        def listen_as(self, user) -> None:
            listener.join(user_group(user.pk))

        def events(self) -> list[dict]:
            return listener.events(INBOX_GROUP)

        def of(self, user) -> list[dict]:
            return listener.events(user_group(user.pk))

    return Inbox()
