"""A failed SMS in its thread says why in plain words, in a real Chromium: what happened,
what to do, and a link to Twilio's page for the code, from the same tables the reports use
(GET /api/reports/failure_reasons, fetched once, when the first failed message is shown).

The page talks to a live server over the real JSON API; the failures are set up through
the service Twilio's status callback calls. Every test fails on a script error, an alert,
or a Content-Security-Policy violation reported to the console.
"""

import re

import pytest
from playwright.sync_api import expect

from messaging import services
from messaging.events import StatusChanged
from messaging.models import MessageStatus
from messaging.tests.factories import DEFAULT_PASSWORD
from testing.browser import browser_windows

DESKTOP = {"width": 1280, "height": 800}
TABLES_PATH = "/api/reports/failure_reasons"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def inbox(chromium, live_server, casey):
    """Sign casey in; the page and the addresses it has asked for so far."""
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:

        def open_inbox():
            page = open_window(DESKTOP)
            requested = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto("/")
            page.get_by_label("Username").fill(casey.username)
            page.get_by_label("Password").fill(DEFAULT_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#inbox")).to_have_attribute("data-ready", "true")
            expect(page.get_by_role("list", name="Conversations")).to_have_attribute(
                "aria-busy", "false"
            )
            return page, requested

        yield open_inbox


def failed_sms(casey, *, to, code, words, status="undelivered"):
    """An SMS Twilio reported undelivered (or failed) with ``code``."""
    message = services.message_send(to=to, body="Your parcel is out for delivery", user=casey)
    services.message_status_apply(
        event=StatusChanged(
            provider_message_id="SM" + message.id.hex,
            provider_status=status,
            status=MessageStatus(status),
            message_id=str(message.id),
            error_code=int(code),
            error_message=words,
            payload={"MessageStatus": status, "ErrorCode": code},
        )
    )
    return message


def open_conversation(page, message):
    page.locator(f'[data-conversation-id="{message.conversation_id}"]').click()
    bubble = page.get_by_role("list", name="Messages").locator(f'[data-message-id="{message.id}"]')
    expect(bubble).to_be_visible()
    return bubble


def tables_fetched(requested):
    return [url for url in requested if url.endswith(TABLES_PATH)]


def test_a_filtered_sms_says_why_what_to_do_and_links_to_twilios_page(inbox, casey):
    message = failed_sms(
        casey, to="+14155550123", code="30007", words="Message filtered", status="failed"
    )
    page, _ = inbox()

    bubble = open_conversation(page, message)

    # The carrier's words stay, and Hatch's explanation of the code comes under them.
    expect(bubble.locator(".message-error")).to_have_text(
        "Not delivered: Message filtered (error 30007)"
    )
    reason = bubble.locator(".failure-reason")
    expect(reason.locator(".failure-title")).to_have_text(
        "The carrier filtered the message as spam"
    )
    expect(reason.locator(".failure-action")).to_contain_text("Reword it")
    link = reason.get_by_role("link", name=re.compile(r"^Error 30007 at Twilio"))
    expect(link).to_have_attribute("href", "https://www.twilio.com/docs/api/errors/30007")
    # A new tab, which gets no hold on the inbox's window.
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener")
    expect(link).to_contain_text("(opens in a new tab)")
    # Retry (a failed SMS may be sent again) is heard with the reason and what to do.
    retry = bubble.get_by_role("button", name="Retry")
    expect(retry).to_have_attribute(
        "aria-describedby", f"message-error-{message.id} message-failure-{message.id}"
    )


def test_the_tables_are_fetched_once_and_only_when_a_failed_message_is_shown(inbox, casey):
    unreachable = failed_sms(casey, to="+14155550123", code="30003", words="Unreachable")
    landline = failed_sms(casey, to="+12125550147", code="30006", words="Landline", status="failed")
    delivered = services.message_send(to="+13105550188", body="See you at 3", user=casey)
    page, requested = inbox()

    open_conversation(page, delivered)
    assert tables_fetched(requested) == []  # nothing failed on screen: nothing to explain

    first = open_conversation(page, unreachable)
    expect(first.locator(".failure-title")).to_have_text(
        "The phone is unreachable: switched off, or out of coverage"
    )
    second = open_conversation(page, landline)
    expect(second.locator(".failure-title")).to_have_text(
        "The number is a landline, or its carrier cannot be reached"
    )
    expect(second.get_by_role("link", name=re.compile("Error 30006 at Twilio"))).to_be_visible()

    assert len(tables_fetched(requested)) == 1


def test_a_code_no_table_explains_keeps_the_carriers_words_alone(inbox, casey):
    message = failed_sms(casey, to="+14155550123", code="30999", words="Carrier said no")
    explained = failed_sms(casey, to="+12125550147", code="30005", words="Unknown handset")
    page, requested = inbox()

    # Once the tables are in (the explained one shows), the unknown code still has none.
    expect(open_conversation(page, explained).locator(".failure-reason")).to_be_visible()
    bubble = open_conversation(page, message)

    expect(bubble.locator(".message-error")).to_have_text(
        "Not delivered: Carrier said no (error 30999)"
    )
    expect(bubble.locator(".failure-reason")).to_have_count(0)
    assert len(tables_fetched(requested)) == 1
