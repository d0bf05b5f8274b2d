"""Fixtures of the inbox's browser tests."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from hatch.testing.browser import CHROMIUM, launch_chromium
from messaging.tests.factories import UserFactory


@pytest.fixture(scope="module")
def chromium():
    """A real Chromium; a browser test that cannot start it fails (it never skips)."""
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
def no_events_from_the_test_process(monkeypatch):
    """Services called by a browser test to set data up publish nothing.

    No page listens to this process's channel layer (pages are connected to the server
    process), and asgiref refuses to publish beside Playwright's event loop, logging an
    error each time. Data written here reaches a page only through its fetches.
    """
    monkeypatch.setattr("messaging.events.publish_on_commit", lambda build_event: None)
    monkeypatch.setattr("emails.events.publish_on_commit", lambda build_event: None)


@pytest.fixture
def casey():
    return UserFactory(username="casey", first_name="Casey", last_name="Jones")
