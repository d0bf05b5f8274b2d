"""Fixtures of the inbox's browser tests."""

import pytest

from messaging.tests.factories import UserFactory


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
