"""What a person does in the inbox, in a real Chromium driven by Playwright.

The page talks to a live server over the real JSON API, so these tests cover the templates,
the scripts and the API together. Data is set up through the services, as production
writes it. Debian's Chromium at /usr/bin/chromium is required: without it these tests fail
(they never skip), because an untested inbox is not a passing one.

Deselect with ``-m "not browser"`` for a quick run.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from emails.models import Email
from messaging import services
from messaging.models import Channel, Direction, Message, MessageStatus
from messaging.segments import count_segments
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
HATCH_NUMBER = "+15005550006"  # TWILIO_FROM_NUMBER in hatch.test_settings
XSS = "<img src=x onerror=alert(1)>"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}, and the inbox browser tests need it. "
            "Install it with `apt-get install chromium`.",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API runs an event loop in this thread, and Django refuses ORM
        # calls from a thread with a running loop unless told that this is deliberate.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@pytest.fixture
def casey():
    return UserFactory(username="casey", first_name="Casey", last_name="Jones")


@pytest.fixture
def open_browser(chromium, live_server):
    """Open a fresh browser window on the live server; fail on any script error or alert."""
    contexts = []
    problems = []

    def open_browser(viewport=DESKTOP):
        context = chromium.new_context(base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5_000)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

        def on_dialog(dialog):
            problems.append(f"{dialog.type} opened: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield open_browser
    for context in contexts:
        context.close()
    assert problems == []


@pytest.fixture
def sign_in(open_browser, casey):
    """Sign casey in through the real login form and return the inbox page."""

    def sign_in(viewport=DESKTOP):
        page = open_browser(viewport)
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
        page.get_by_label("Username").fill(casey.username)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("casey", exact=True)).to_be_visible()
        # The controls answer once the page's script has run and the first page is in.
        expect(page.locator("#inbox")).to_have_attribute("data-ready", "true")
        expect(conversation_list(page)).to_have_attribute("aria-busy", "false")
        return page

    return sign_in


def receive(body, *, sender="+14155550123", at=None):
    message, _ = services.message_receive(
        from_contact=sender, to_contact=HATCH_NUMBER, body=body, received_at=at
    )
    return message


def conversation_list(page):
    return page.get_by_role("list", name="Conversations")


def thread(page):
    return page.get_by_role("list", name="Messages")


def test_person_signs_in_opens_a_thread_and_replies_with_enter(sign_in, casey):
    first = receive("Is my order ready?", sender="+14155550123")
    services.message_send(to="Dana Scully", body="Lunch at noon?", user=casey)
    page = sign_in()

    expect(conversation_list(page).get_by_role("link")).to_have_count(2)
    page.get_by_role("link", name=re.compile(r"\(415\) 555-0123")).click()

    expect(page).to_have_url(re.compile(rf"\?c={first.conversation_id}$"))
    expect(page.get_by_role("heading", name="+1 (415) 555-0123")).to_be_visible()
    expect(thread(page).locator(".message-inbound")).to_have_text(re.compile("Is my order ready?"))
    box = page.get_by_label("Type a message")
    box.fill("Yes, it is ready.")
    box.press("Shift+Enter")
    box.press_sequentially("Pick it up at the desk.")
    expect(page.locator("#reply-counter")).to_have_text("41/160 · 1 segment")
    box.press("Enter")

    reply = thread(page).locator(".message-outbound")
    expect(reply).to_have_count(1)
    expect(reply.locator(".bubble")).to_have_text("Yes, it is ready.\nPick it up at the desk.")
    expect(reply.locator(".status")).to_have_text("Queued")
    expect(box).to_have_value("")
    stored = Message.objects.get(direction=Direction.OUTBOUND, channel=Channel.SMS)
    assert stored.conversation_id == first.conversation_id
    assert stored.body == "Yes, it is ready.\nPick it up at the desk."
    assert (stored.to_contact, stored.from_contact) == ("+14155550123", HATCH_NUMBER)
    assert stored.status == MessageStatus.QUEUED
    assert stored.sent_by == casey
    # The list moves the conversation up with the new preview.
    first_item = conversation_list(page).get_by_role("link").first
    expect(first_item).to_contain_text("Yes, it is ready. Pick it up at the desk.")


def test_search_narrows_the_list_by_number_or_text(sign_in):
    receive("Do you deliver on Sundays?", sender="+14155550123")
    receive("Where is my parcel?", sender="+12125550147")
    page = sign_in()
    links = conversation_list(page).get_by_role("link")
    expect(links).to_have_count(2)

    page.get_by_label("Search conversations").fill("parcel")
    expect(links).to_have_count(1)
    expect(links).to_contain_text("(212) 555-0147")

    page.get_by_label("Search conversations").fill("(415) 555")
    expect(links).to_have_count(1)
    expect(links).to_contain_text("(415) 555-0123")

    page.get_by_label("Search conversations").fill("no such thing")
    expect(links).to_have_count(0)
    expect(page.get_by_text("No conversations match “no such thing”.")).to_be_visible()


def test_new_conversation_refuses_a_bad_number_then_starts_with_a_formatted_one(sign_in):
    page = sign_in()
    page.get_by_role("button", name="New conversation").click()
    dialog = page.get_by_role("dialog", name="New conversation")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("To", exact=True)).to_be_focused()

    dialog.get_by_label("To", exact=True).fill("12345")
    dialog.get_by_label("Message").fill("Hello from Hatch")
    dialog.get_by_role("button", name="Start conversation").click()

    expect(dialog.get_by_text("'to' is not a valid phone number: '12345'.")).to_be_visible()
    expect(dialog.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    assert not Message.objects.exists()

    dialog.get_by_label("To", exact=True).fill("(415) 555-2671")
    expect(dialog.locator("#new-conversation-counter")).to_have_text("16/160 · 1 segment")
    dialog.get_by_role("button", name="Start conversation").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", name="+1 (415) 555-2671")).to_be_visible()
    expect(thread(page).locator(".message-outbound .bubble")).to_have_text("Hello from Hatch")
    expect(conversation_list(page).get_by_role("link")).to_contain_text(["(415) 555-2671"])
    stored = Message.objects.get()
    assert (stored.to_contact, stored.channel, stored.status) == (
        "+14155552671",
        Channel.SMS,
        MessageStatus.QUEUED,
    )


def test_email_modal_closes_every_way_and_sends_with_cc(sign_in, casey):
    page = sign_in()
    compose = page.get_by_role("button", name="Compose email")
    dialog = page.get_by_role("dialog", name="Compose email")

    compose.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    compose.click()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    compose.click()
    page.mouse.click(5, 400)  # the backdrop, left of the dialog
    expect(dialog).to_be_hidden()

    compose.click()
    dialog.get_by_label("To", exact=True).fill("not an address")
    dialog.get_by_label("Subject").fill("Your order")
    dialog.get_by_label("Message").fill("It shipped today.")
    dialog.get_by_role("button", name="Send email").click()
    expect(dialog.get_by_text("'to_email' is not a valid email address")).to_be_visible()
    assert not Email.objects.exists()

    dialog.get_by_label("To", exact=True).fill("pat@example.com")
    dialog.get_by_label("Cc", exact=True).fill("a@example.com, b@example.com")
    dialog.get_by_label("Bcc", exact=True).fill("audit@example.com")
    dialog.get_by_label("Reply-To", exact=True).fill("support@hatch.test")
    dialog.get_by_role("button", name="Send email").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Email to")).to_have_text(
        "Email to pat@example.com is queued."
    )
    email = Email.objects.get()
    assert email.to_email == "pat@example.com"
    assert email.cc == ["a@example.com", "b@example.com"]
    assert email.bcc == ["audit@example.com"]
    assert email.reply_to == "support@hatch.test"
    assert (email.subject, email.body, email.status) == (
        "Your order",
        "It shipped today.",
        "queued",
    )
    assert email.sent_by == casey


def test_markup_in_names_and_bodies_shows_as_text(sign_in, casey):
    receive(XSS, sender="+14155550123")
    services.message_send(to=XSS, body=f"{XSS} again", user=casey)
    page = sign_in()

    expect(conversation_list(page)).to_contain_text(XSS)
    conversation_list(page).get_by_role("link", name=re.compile("again")).click()

    expect(page.get_by_role("heading", name=XSS)).to_be_visible()
    expect(thread(page).locator(".bubble")).to_have_text(f"{XSS} again")
    conversation_list(page).get_by_role("link", name=re.compile(r"\(415\) 555-0123")).click()
    expect(thread(page).locator(".bubble")).to_have_text(XSS)
    expect(page.locator("main img")).to_have_count(0)
    # No alert fired: the open_browser fixture fails the test on any dialog.


def test_phone_sized_screen_shows_the_list_or_the_thread(sign_in):
    receive("Are you open today?", sender="+14155550123")
    page = sign_in(PHONE)
    heading = page.get_by_role("heading", name="Conversations")
    reply_box = page.get_by_label("Type a message")

    expect(heading).to_be_visible()
    expect(page.locator("#thread")).to_be_hidden()
    page.get_by_role("link", name=re.compile(r"\(415\) 555-0123")).click()
    expect(thread(page).get_by_text("Are you open today?")).to_be_visible()
    expect(reply_box).to_be_visible()
    expect(heading).to_be_hidden()

    page.get_by_role("button", name="Back to conversations").click()
    expect(heading).to_be_visible()
    expect(reply_box).to_be_hidden()

    page.get_by_role("link", name=re.compile(r"\(415\) 555-0123")).click()
    expect(reply_box).to_be_visible()
    page.go_back()
    expect(heading).to_be_visible()
    page.go_forward()
    expect(reply_box).to_be_visible()


def test_older_messages_and_more_conversations_load_on_request(sign_in):
    start = timezone.now() - timedelta(days=2)
    for number in range(55):
        receive(f"Update {number}", sender="+14155550123", at=start + timedelta(minutes=number))
    for number in range(50):
        receive("Hello", sender=f"+1212555{1000 + number}", at=start - timedelta(minutes=number))
    page = sign_in()

    links = conversation_list(page).get_by_role("link")
    expect(links).to_have_count(50)
    page.get_by_role("button", name="Load more").click()
    expect(links).to_have_count(51)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    links.first.click()
    bubbles = thread(page).locator(".bubble")
    expect(bubbles).to_have_count(50)
    expect(bubbles.last).to_have_text("Update 54")
    page.get_by_role("button", name="Load older messages").click()
    expect(bubbles).to_have_count(55)
    expect(bubbles.first).to_have_text("Update 0")
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()


BODIES = [
    "",
    "a" * 160,
    "a" * 161,
    "a" * 306,
    "a" * 307,
    "€" * 80,  # GSM-7 extension: two septets each
    "€" * 81,
    "[x]{y}|~^\\\f",
    "Ça coûte 5€ à Zürich\r\n",
    "smart “quotes”",
    "😊" * 35,  # two UTF-16 units each
    "😊" * 36,
    "é" * 70 + "—",
    "a" * 1600,
]


def test_segment_counter_follows_the_server_rules(open_browser, live_server):
    page = open_browser()
    page.goto("/accounts/login/")

    counted = page.evaluate(
        """async (bodies) => {
            const { countSegments } = await import("/static/js/segments.js");
            return bodies.map((body) => countSegments(body));
        }""",
        BODIES,
    )

    for body, browser_count in zip(BODIES, counted, strict=True):
        expected = count_segments(body)
        assert (browser_count["encoding"], browser_count["units"], browser_count["segments"]) == (
            expected.encoding,
            expected.units,
            expected.segments,
        ), body
