"""Fixtures shared by every app's tests."""

from pathlib import Path

import pytest
from django.core.management import call_command
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
    from testing.fake_providers import FakeProviders

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


@pytest.fixture(scope="module")
def chromium():
    """A real Chromium; a browser test that cannot start it fails (it never skips)."""
    # Imported here: Playwright takes a quarter of a second to import, and most runs
    # start no browser.
    from playwright.sync_api import sync_playwright

    from testing.browser import CHROMIUM, launch_chromium

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}, and the browser tests need it. "
            "Install it with `apt-get install chromium`, or set HATCH_CHROMIUM.",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API runs an event loop in this thread, and Django refuses ORM
        # calls from a thread with a running loop unless told that this is deliberate.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            yield browser
            browser.close()


@pytest.fixture
def report(record_property, capsys):
    """Report a figure: kept in the JUnit XML and printed beside the test's dot."""

    def report(name: str, value) -> None:
        record_property(name, value)
        with capsys.disabled():
            print(f"\n    {name}: {value}", end="")

    return report


@pytest.fixture
def reports_counted(db):
    """The reports' counts just refreshed, so that a sweep enqueues no refresh of them: for
    tests that check exactly what a sweep enqueues. (Through the command: the apps below
    the reports may not import them.)"""
    call_command("refresh_reports")
