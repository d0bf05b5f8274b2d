"""A database that cannot be reached answers 503 with Retry-After, never a 500.

The fault suite (tests/faults/test_database_restart.py) proves it against a real
PostgreSQL restart; these pin the answers down without stopping anything.
"""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from web.middleware import DatabaseUnavailableMiddleware

TO = "+14155552671"


@pytest.fixture
def database_down(monkeypatch):
    def fail(**kwargs):
        raise OperationalError("connection failed: Connection refused")

    monkeypatch.setattr("messaging.services.message_send", fail)


@pytest.mark.django_db
def test_an_api_call_answers_503_json_with_retry_after(api_client, database_down):
    response = api_client.post("/api/send_message", {"to": TO, "body": "hi"}, format="json")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": "The service is briefly unavailable (its database cannot be reached). "
        "Try again in 5 seconds."
    }


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("the database system is shutting down"),
        InterfaceError("connection already closed"),
        PoolTimeout("couldn't get a connection after 10.00 sec"),
    ],
)
def test_every_unreachable_database_error_is_a_503(error):
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    api = middleware.process_exception(RequestFactory().get("/api/conversations"), error)
    page = middleware.process_exception(RequestFactory().get("/"), error)

    assert (api.status_code, api["Retry-After"]) == (503, "5")
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert b"briefly unavailable" in page.content
    assert str(error).encode() not in page.content + api.content  # no driver message leaks


def test_other_errors_are_left_to_the_500_handler():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/api/x"), ValueError()) is None
