"""Presence in the browser: two teammates signed in on two browsers see each other in the
thread they both have open, and see each other go.

Hatch runs under daphne in a child process (testing.live_server), each teammate in a
browser context of their own (own cookies, own websocket) on Debian's Chromium. Nothing is
stored: what one page shows, the other page's websocket told it.
"""

import time

import pytest
from playwright.sync_api import Page, expect

from emails.services import email_send
from messaging import services
from messaging.events import InboundMessage
from messaging.tests import twilio_payloads
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory
from testing import live_server
from testing.browser import browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 800}
WAIT_MS = 5_000
# A closed tab's teammate is gone from the other screens within this (the brief's promise);
# the page says "left" as it closes, and the server says it when the socket drops.
GONE_WITHIN_MS = 10_000
# A typing teammate shows as typing for a few seconds after their last keystroke.
TYPING_SHOWN_MS = 4_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asgi_server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def asgi_live_server(transactional_db):
    """daphne on the test database, one per test (see test_live_inbox)."""
    with live_server.for_test_database() as server:
        yield server


@pytest.fixture
def open_browser(chromium, asgi_live_server):
    with browser_windows(
        chromium, base_url=asgi_live_server.url, timeout_ms=WAIT_MS
    ) as open_window:
        yield lambda viewport=DESKTOP: open_window(viewport)


@pytest.fixture
def ada():
    return UserFactory(username="ada", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def ben():
    return UserFactory(username="ben", first_name="Ben", last_name="Okafor")


@pytest.fixture
def sign_in(open_browser):
    """A teammate signed in through the login form, on a browser of their own, live."""

    def sign_in(user, *, viewport=DESKTOP) -> Page:
        page = open_browser(viewport)
        sign_in_to_inbox(page, username=user.username, password=DEFAULT_PASSWORD)
        expect(page.locator("#inbox")).to_have_attribute("data-live", "connected")
        return page

    return sign_in


def presence_line(page: Page, pane: str = "#thread-view"):
    return page.locator(f"{pane} .presence-line")


def test_teammates_see_who_views_and_types_in_a_conversation_and_when_they_go(
    sign_in, ada, ben, report
):
    message, _ = services.message_receive(
        event=InboundMessage(
            from_contact="+14155550123",
            to_contact=twilio_payloads.HATCH_NUMBER,
            body="Is my table ready?",
        )
    )
    ada_page, ben_page = sign_in(ada), sign_in(ben)
    for page in (ada_page, ben_page):
        page.locator(f'a[data-conversation-id="{message.conversation_id}"]').click()
        expect(page.locator("[data-message-id]", has_text="Is my table ready?")).to_be_visible()

    expect(presence_line(ben_page)).to_have_text("Ada Lovelace is viewing")
    # Each sees the other, never themselves.
    expect(presence_line(ada_page)).to_have_text("Ben Okafor is viewing")
    expect(presence_line(ben_page)).to_have_attribute("aria-live", "polite")

    ada_page.get_by_label("Type a message").press_sequentially("Your table is ready", delay=40)
    expect(presence_line(ben_page)).to_have_text("Ada Lovelace is typing…")
    # Ada stopped typing but still has the thread open: back to viewing, kept alive by her
    # page's heartbeat well past the time a silent page would lapse.
    expect(presence_line(ben_page)).to_have_text(
        "Ada Lovelace is viewing", timeout=TYPING_SHOWN_MS + WAIT_MS
    )
    ben_page.wait_for_timeout(9_000)
    expect(presence_line(ben_page)).to_have_text("Ada Lovelace is viewing")

    closed_at = time.monotonic()
    ada_page.close()
    expect(presence_line(ben_page)).to_be_empty(timeout=GONE_WITHIN_MS)
    report("presence_gone_after_tab_closed_ms", round((time.monotonic() - closed_at) * 1000))


def test_teammates_see_each_other_in_an_email_thread_until_one_goes_back_to_the_list(
    sign_in, ada, ben
):
    email = email_send(to_email="pat@example.com", subject="Your order", body="It shipped.")
    # Ada on a phone: one pane at a time, with a Back button out of the thread.
    ada_page, ben_page = sign_in(ada, viewport=PHONE), sign_in(ben)
    for page in (ada_page, ben_page):
        page.get_by_role("button", name="Emails", exact=True).click()
        page.locator(f'a[data-thread-id="{email.thread_id}"]').click()
        expect(page.locator("#email-title")).to_have_text("Your order")

    ben_sees = presence_line(ben_page, "#email-detail-view")
    expect(ben_sees).to_have_text("Ada Lovelace is viewing")
    expect(presence_line(ada_page, "#email-detail-view")).to_have_text("Ben Okafor is viewing")

    # Ada switches to Conversations: the email thread stays open there, out of sight.
    ada_page.get_by_role("button", name="Conversations", exact=True).click()
    expect(ben_sees).to_be_empty()
    ada_page.get_by_role("button", name="Emails", exact=True).click()
    expect(ben_sees).to_have_text("Ada Lovelace is viewing")

    ada_page.get_by_role("button", name="Back to emails").click()
    expect(ada_page.locator("#email-detail-view")).to_be_hidden()
    expect(ben_sees).to_be_empty()
