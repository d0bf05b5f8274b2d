"""Fixtures shared by every app's tests."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging.tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory(username="casey", first_name="Casey", last_name="Jones")


@pytest.fixture
def api_client(user):
    """An API client authenticated with a DRF token, as a program would be."""
    client = APIClient()
    token = Token.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def fake_providers(settings):
    """A local Twilio/SendGrid look-alike the real SDKs talk to, with settings pointing at it."""
    from hatch.fake_providers import FakeProviders

    with FakeProviders() as fake:
        settings.TWILIO_API_BASE_URL = fake.base_url
        settings.TWILIO_ACCOUNT_SID = fake.account_sid
        settings.TWILIO_AUTH_TOKEN = fake.auth_token
        settings.SENDGRID_API_HOST = fake.base_url
        settings.SENDGRID_API_KEY = fake.api_key
        yield fake


@pytest.fixture
def enqueued_tasks():
    """The tasks enqueued through the test settings' dummy backend, as (task path, args)."""
    from django.tasks import default_task_backend

    default_task_backend.clear()

    def read():
        return [
            (result.task.module_path, list(result.args)) for result in default_task_backend.results
        ]

    yield read
    default_task_backend.clear()
