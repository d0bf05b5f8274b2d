"""Email threads in the inbox, in a real Chromium: an email arriving live, a reply that
lands in its thread, and HTML that stays inert (no script, no remote image) until the
person asks for the images.

Hatch runs under daphne in a child process (testing.live_server), the production ASGI
stack, so the page's websocket connects and a received email reaches it as production
delivers it: SendGrid's Inbound Parse posts to the webhook with Basic credentials, the
service stores the email, and the event goes through Channels to the page. Data a test sets
up beforehand goes through the same webhook, in the test process. Every test fails on a
script error, an alert, or a Content-Security-Policy violation reported to the console.
Debian's Chromium is required: these tests never skip.
"""

import re
import urllib.request

import pytest
from django.test import Client
from playwright.sync_api import expect

from attachments.tests import samples
from conversations.models import ReadMark
from emails.models import Email, EmailDirection
from emails.tests.inbound_posts import (
    CUSTOMER,
    INBOUND_PATH,
    PASSWORD,
    USERNAME,
    basic,
    default_fields,
    multipart,
    post_inbound,
)
from messaging.tests.factories import DEFAULT_PASSWORD
from testing import live_server
from testing.browser import browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 800}
WAIT_MS = 5_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asgi_server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("inbound_credentials", "no_events_from_the_test_process"),
]


@pytest.fixture
def no_events_from_the_test_process(monkeypatch):
    """Emails stored by the test process publish nothing: no page listens to its channel
    layer (pages are connected to the server process), and asgiref refuses to publish
    beside Playwright's event loop."""
    monkeypatch.setattr("emails.live.publish_on_commit", lambda build_event: None)


@pytest.fixture
def server(transactional_db):
    """daphne on the test database, taking Inbound Parse posts with the tests' credentials."""
    credentials = {"SENDGRID_INBOUND_USERNAME": USERNAME, "SENDGRID_INBOUND_PASSWORD": PASSWORD}
    with live_server.for_test_database(env=credentials) as running:
        yield running


@pytest.fixture
def inbox(chromium, server, user):
    """Sign casey in and show the Emails view, its websocket connected."""
    with browser_windows(chromium, base_url=server.url, timeout_ms=WAIT_MS) as open_window:

        def open_inbox():
            page = sign_in_to_inbox(
                open_window(DESKTOP), username=user.username, password=DEFAULT_PASSWORD
            )
            expect(page.locator("#inbox")).to_have_attribute("data-live", "connected")
            page.get_by_role("button", name="Emails").click()
            expect(threads(page)).to_have_attribute("aria-busy", "false")
            return page

        yield open_inbox


def receive(**overrides) -> Email:
    """An email from Ana, posted to the webhook as SendGrid posts it (in this process)."""
    files = overrides.pop("files", None)
    response = post_inbound(Client(), default_fields(**overrides), files)
    assert response.status_code == 200, response.content
    return Email.objects.get(id=response.json()["email_id"])


def threads(page):
    return page.get_by_role("list", name="Email threads")


def thread_emails(page):
    return page.get_by_role("list", name="Emails in this thread")


def test_an_email_that_arrives_shows_at_once_with_its_unread_count(inbox, server):
    page = inbox()
    expect(page.get_by_text("No emails yet.")).to_be_visible()

    body, content_type = multipart(
        default_fields(subject="Order 1234", text="Where is my order?\n", html=None)
    )
    request = urllib.request.Request(
        server.url + INBOUND_PATH,
        data=body,
        headers={"Content-Type": content_type, "Authorization": basic()},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

    email = Email.objects.get()
    item = threads(page).locator(f'[data-thread-id="{email.thread_id}"]')
    expect(item).to_contain_text("Ana Lima")
    expect(item.locator(".conversation-number")).to_have_text(CUSTOMER)
    expect(item).to_contain_text("Order 1234")
    expect(item.locator(".unread-badge")).to_have_text("1")
    expect(page.locator("#toast")).to_have_text("New email from Ana Lima: Order 1234")

    # Reading it tells Hatch: the thread is read for this reader (their read mark).
    with page.expect_response(lambda response: response.url.endswith("/read")) as marked:
        item.click()
    assert marked.value.ok
    expect(thread_emails(page).locator(".email-body")).to_have_text("Where is my order?\n")
    expect(item.locator(".unread-badge")).to_be_hidden()
    (mark,) = ReadMark.objects.filter(conversation_id=email.thread_id)
    assert mark.inbound_read == 1


def test_a_reply_from_the_thread_lands_in_it_and_reply_all_copies_everyone(inbox):
    received = receive(
        cc="Bea <bea@example.com>, team@hatch.test",
        files={"attachment1": ("Scan 1.pdf", samples.PDF, "application/pdf")},
        attachments="1",
    )
    page = inbox()
    threads(page).locator(f'[data-thread-id="{received.thread_id}"]').click()
    first = thread_emails(page).locator(f'[data-email-id="{received.id}"]')
    expect(first).to_contain_text("Ana Lima <ana@example.com>")
    chip = first.locator(".attachment-chip")
    expect(chip).to_contain_text("Scan 1.pdf")
    expect(chip).to_have_attribute("href", re.compile(r"^/files/[0-9a-f-]+/Scan"))

    first.get_by_role("button", name="Reply all").click()
    dialog = page.get_by_role("dialog", name="Reply all")
    expect(dialog.get_by_label("To", exact=True)).to_have_value(CUSTOMER)
    expect(dialog.get_by_label("Cc", exact=True)).to_have_value("bea@example.com")
    expect(dialog.get_by_label("Subject")).to_have_value("Re: Order 1234")
    dialog.get_by_role("button", name="Cancel").click()

    first.get_by_role("button", name="Reply", exact=True).click()
    dialog = page.get_by_role("dialog", name="Reply")
    expect(dialog.get_by_label("Message", exact=True)).to_be_focused()
    expect(dialog.get_by_label("Cc", exact=True)).to_have_value("")
    dialog.get_by_label("Message", exact=True).fill("It ships today.")
    dialog.get_by_label("Files to attach to the email").set_input_files(
        {"name": "label.pdf", "mimeType": "application/pdf", "buffer": samples.PDF}
    )
    picked = dialog.get_by_role("list", name="Files to send")
    expect(picked).to_contain_text("label.pdf")
    expect(picked).to_contain_text(f"{len(samples.PDF)} bytes")
    dialog.get_by_role("button", name="Send email").click()

    expect(dialog).to_be_hidden()
    expect(thread_emails(page).locator("[data-email-id]")).to_have_count(2)
    reply = thread_emails(page).locator("[data-email-id]").last
    expect(reply).to_have_attribute("data-direction", "outbound")
    expect(reply.locator(".email-body")).to_have_text("It ships today.")
    expect(reply.locator(".email-status")).to_have_text("Queued")
    expect(reply.locator(".attachment-chip")).to_contain_text("label.pdf")
    stored = Email.objects.get(direction=EmailDirection.OUTBOUND)
    assert stored.thread_id == received.thread_id
    assert (stored.to_email, stored.subject) == (CUSTOMER, "Re: Order 1234")
    assert stored.in_reply_to == received.message_id

    reply.get_by_role("button", name="Forward").click()
    dialog = page.get_by_role("dialog", name="Forward")
    expect(dialog.get_by_label("Subject")).to_have_value("Fwd: Re: Order 1234")
    expect(dialog.get_by_label("To", exact=True)).to_have_value("")


def test_html_stays_inert_until_the_person_shows_its_images(inbox, server):
    # An image of the server's own, named apart from the page's logo, so that fetching it
    # shows in the page's requests.
    image = f"{server.url}/static/img/hatch.svg?from=newsletter"
    received = receive(
        subject="Newsletter",
        html=(
            '<p style="color: rgb(200, 0, 0)">Spring offers</p>'
            "<script>alert('script ran')</script>"
            f'<img src="{image}" alt="Our logo" width="40">'
            '<img src="x" onerror="alert(\'handler ran\')">'
        ),
    )
    page = inbox()
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    threads(page).locator(f'[data-thread-id="{received.thread_id}"]').click()

    email = thread_emails(page).locator(f'[data-email-id="{received.id}"]')
    expect(email.get_by_role("note")).to_contain_text("1 remote image blocked")
    frame_element = email.locator("iframe.email-frame")
    expect(frame_element).to_have_attribute("sandbox", re.compile(r"^(?!.*allow-scripts)"))
    frame = frame_element.content_frame
    expect(frame.get_by_text("Spring offers")).to_have_css("color", "rgb(200, 0, 0)")
    expect(frame.locator("script")).to_have_count(0)
    # The images stay as placeholders, with nothing to load.
    expect(frame.locator("img[src]")).to_have_count(0)
    expect(frame.locator("[onerror]")).to_have_count(0)
    assert image not in fetched

    email.get_by_role("button", name="Show images").click()

    frame = thread_emails(page).locator("iframe.email-frame").content_frame
    logo = frame.get_by_role("img", name="Our logo")
    expect(logo).to_be_visible()
    expect(logo).to_have_js_property("complete", True)
    assert logo.evaluate("img => img.naturalWidth") > 0
    assert image in fetched
    expect(thread_emails(page).get_by_role("note")).to_have_count(0)
    expect(frame.locator("script")).to_have_count(0)
    # No alert opened and no policy was broken: browser_windows fails the test otherwise.
