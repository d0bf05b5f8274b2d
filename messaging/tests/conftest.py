"""Fixtures of the inbox's tests."""

import pytest

from emails import services as email_services
from emails.tests import sendgrid_payloads as sendgrid
from messaging.tests.factories import UserFactory


@pytest.fixture
def no_events_from_the_test_process(monkeypatch):
    """Services called by a browser test to set data up publish nothing.

    No page listens to this process's channel layer (pages are connected to the server
    process), and asgiref refuses to publish beside Playwright's event loop, logging an
    error each time. Data written here reaches a page only through its fetches.
    """
    monkeypatch.setattr("messaging.live.publish_on_commit", lambda build_event: None)
    monkeypatch.setattr("emails.live.publish_on_commit", lambda build_event: None)


@pytest.fixture
def casey():
    return UserFactory(username="casey", first_name="Casey", last_name="Jones")


@pytest.fixture
def send_delivered_email():
    """Sends an email to pat@example.com that SendGrid then reports processed and delivered."""

    def send(*, user):
        email = email_services.email_send(
            to_email="pat@example.com", subject="Your order", body="It shipped.", user=user
        )
        message_id = sendgrid.x_message_id()
        email_services.email_events_apply(
            events=sendgrid.tracking_events(
                [
                    sendgrid.event(
                        kind,
                        email="pat@example.com",
                        message_id=message_id,
                        hatch_email_id=str(email.id),
                        timestamp=1732890000 + offset,
                    )
                    for offset, kind in enumerate(["processed", "delivered"])
                ]
            )
        )
        return email

    return send
