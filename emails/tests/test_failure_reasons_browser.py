"""A bounced or dropped email in its thread says why in plain words, in a real Chromium:
what happened, what to do, and SendGrid's page about it, from the same tables the reports
use (GET /api/reports/failure_reasons).

The page talks to a live server over the real JSON API; SendGrid's events are read by the
webhook's own parser and applied by the service, as production applies them. Every test
fails on a script error, an alert, or a Content-Security-Policy violation reported to the
console.
"""

import re

import pytest
from playwright.sync_api import expect

from emails import services
from emails.tests import sendgrid_payloads as sendgrid
from messaging.tests.factories import DEFAULT_PASSWORD
from testing.browser import browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 800}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def no_events_from_the_test_process(monkeypatch):
    """Emails stored by the test process publish nothing: pages fetch what they show."""
    monkeypatch.setattr("emails.live.publish_on_commit", lambda build_event: None)


@pytest.fixture
def emails_view(chromium, live_server, user):
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:

        def open_emails():
            page = sign_in_to_inbox(
                open_window(DESKTOP), username=user.username, password=DEFAULT_PASSWORD
            )
            page.get_by_role("button", name="Emails").click()
            expect(page.get_by_role("list", name="Email threads")).to_have_attribute(
                "aria-busy", "false"
            )
            return page

        yield open_emails


def not_delivered(user, *, to, kind, **fields):
    """An email SendGrid processed, then reported as ``kind`` (bounce, dropped)."""
    email = services.email_send(to_email=to, subject="Your order", body="It shipped.", user=user)
    message_id = sendgrid.x_message_id()
    services.email_events_apply(
        events=sendgrid.tracking_events(
            [
                sendgrid.event(
                    "processed", email=to, message_id=message_id, hatch_email_id=str(email.id)
                ),
                sendgrid.event(
                    kind,
                    email=to,
                    message_id=message_id,
                    hatch_email_id=str(email.id),
                    timestamp=1732890060,
                    **fields,
                ),
            ]
        )
    )
    return email


def open_email(page, email):
    page.get_by_role("list", name="Email threads").locator(
        f'[data-thread-id="{email.thread_id}"]'
    ).click()
    shown = page.locator(f'[data-email-id="{email.id}"]')
    expect(shown).to_be_visible()
    return shown


def test_a_hard_bounce_says_the_address_does_not_exist_and_links_to_sendgrid(emails_view, user):
    email = not_delivered(user, to="nobody@example.com", kind="bounce")
    page = emails_view()

    shown = open_email(page, email)

    expect(shown.locator(".email-status")).to_have_text("Bounced")
    reason = shown.locator(".failure-reason")
    expect(reason.locator(".failure-title")).to_have_text(
        "The address does not exist (hard bounce)"
    )
    expect(reason.locator(".failure-action")).to_contain_text("Check the address")
    link = reason.get_by_role("link", name=re.compile(r"^SendGrid's page about this"))
    expect(link).to_have_attribute(
        "href", "https://www.twilio.com/docs/sendgrid/ui/sending-email/bounces"
    )
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener")


def test_a_drop_for_an_earlier_spam_report_says_so(emails_view, user):
    email = not_delivered(
        user, to="annoyed@example.com", kind="dropped", reason="Spam Reporting Address"
    )
    page = emails_view()

    shown = open_email(page, email)

    expect(shown.locator(".email-status")).to_have_text("Dropped")
    expect(shown.locator(".failure-title")).to_have_text(
        "Not sent: the person marked earlier email as spam"
    )
