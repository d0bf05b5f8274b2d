"""A deactivated teammate is signed out everywhere at once: API token, session, websocket.

Their token is kept (reactivating them brings it back), but Hatch's token check refuses an
inactive user, and so does Django's session check on the next request and the websocket's.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.authtoken.models import Token

from team.tests.conftest import PASSWORD, token_client

# Django's test environment allows the host "testserver"; the socket's origin must match.
SAME_ORIGIN = (b"origin", b"http://testserver")
IN_MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def set_active(admin_api, user, active: bool):
    response = admin_api.patch(f"/api/teammates/{user.pk}", {"is_active": active}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def signed_in_browser(user) -> Client:
    browser = Client()
    assert browser.login(username=user.username, password=PASSWORD)
    return browser


@pytest.mark.django_db
def test_a_deactivated_teammates_token_gets_401_until_reactivated(admin_api, ben):
    ben_api = token_client(ben)
    assert ben_api.get("/api/teammates").status_code == 200

    assert set_active(admin_api, ben, False)["is_active"] is False

    response = ben_api.get("/api/conversations")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"] == "User inactive or deleted."
    assert Token.objects.filter(user=ben).exists()  # kept, for a reactivation

    set_active(admin_api, ben, True)
    assert ben_api.get("/api/conversations").status_code == 200


@pytest.mark.django_db
def test_a_deactivated_teammates_session_ends_on_the_next_request(admin_api, ben):
    browser = signed_in_browser(ben)
    assert browser.get("/").status_code == 200

    set_active(admin_api, ben, False)

    page = browser.get("/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=/"
    assert browser.get("/api/contacts").status_code == 401
    # Nor can they sign in again.
    assert not Client().login(username="ben", password=PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_teammates_session_cannot_open_the_live_inbox(settings, admin_api, ben):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    browser = signed_in_browser(ben)
    name = settings.SESSION_COOKIE_NAME
    cookie = (b"cookie", f"{name}={browser.cookies[name].value}".encode())

    async def connect():
        # Imported here: the origin check reads ALLOWED_HOSTS when hatch.asgi is imported.
        from hatch.asgi import application

        socket = WebsocketCommunicator(application, "/ws/inbox/", headers=[SAME_ORIGIN, cookie])
        connected, code = await socket.connect()
        await socket.disconnect()
        return connected, code

    assert async_to_sync(connect)()[0] is True

    set_active(admin_api, ben, False)

    assert async_to_sync(connect)() == (False, 4401)


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_teammates_open_live_inbox_is_closed_at_once(settings, admin_api, ben):
    settings.CHANNEL_LAYERS = IN_MEMORY_LAYER
    browser = signed_in_browser(ben)
    name = settings.SESSION_COOKIE_NAME
    cookie = (b"cookie", f"{name}={browser.cookies[name].value}".encode())

    async def scenario():
        from asgiref.sync import sync_to_async

        from hatch.asgi import application

        socket = WebsocketCommunicator(application, "/ws/inbox/", headers=[SAME_ORIGIN, cookie])
        connected, _ = await socket.connect()
        assert connected
        await sync_to_async(set_active)(admin_api, ben, False)
        assert (await socket.receive_json_from(timeout=5))["type"] == "account.deactivated"
        closed = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}
