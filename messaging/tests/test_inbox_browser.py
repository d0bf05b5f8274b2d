"""What a person does in the inbox, in a real Chromium driven by Playwright.

The page talks to a live server over the real JSON API, so these tests cover the templates,
the scripts and the API together. Data is set up through the services, as production
writes it. Debian's Chromium at /usr/bin/chromium is required: without it these tests fail
(they never skip), because an untested inbox is not a passing one.

The live server is WSGI, so the inbox's websocket never connects here: these tests also
show that the page works fully over HTTP without it. Every test fails on a script error,
an alert, or a Content-Security-Policy violation reported to the console.

Deselect with ``-m "not browser"`` for a quick run.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attachments.tests import samples
from consent.models import Suppression
from conversations.models import ReadMark
from emails import services as email_services
from emails.models import Email
from messaging import services
from messaging.events import InboundMessage, StatusChanged
from messaging.models import Channel, Direction, Message, MessageStatus
from messaging.segments import count_segments
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory
from testing.browser import browser_windows

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
HATCH_NUMBER = "+15005550006"  # TWILIO_FROM_NUMBER in hatch.test_settings
XSS = "<img src=x onerror=alert(1)>"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def open_browser(chromium, live_server):
    """Open a fresh browser window on the live server (see browser_windows)."""
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:
        yield lambda viewport=DESKTOP: open_window(viewport)


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


def receive(body, *, sender="+14155550123", at=None, media=None):
    message, _ = services.message_receive(
        event=InboundMessage(
            from_contact=sender, to_contact=HATCH_NUMBER, body=body, received_at=at, media=media
        )
    )
    return message


def fail_delivery(message, *, code="30006", reason="Landline or unreachable carrier"):
    """The provider's status callback for an SMS it could not deliver."""
    return services.message_status_apply(
        event=StatusChanged(
            provider_message_id="SM" + message.id.hex,
            provider_status="failed",
            status=MessageStatus.FAILED,
            message_id=str(message.id),
            error_code=int(code),
            error_message=reason,
            payload={"MessageStatus": "failed", "ErrorCode": code},
        )
    )


def conversation_list(page):
    return page.get_by_role("list", name="Conversations")


def thread(page):
    return page.get_by_role("list", name="Messages")


def item(page, conversation_id):
    return page.locator(f'[data-conversation-id="{conversation_id}"]')


def bubble(page, message_id):
    return thread(page).locator(f'[data-message-id="{message_id}"]')


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
    expect(reply.locator(".status-mark")).to_have_text("Queued")
    expect(reply).to_have_attribute("data-status", "queued")
    expect(reply).to_have_attribute("data-direction", "outbound")
    expect(thread(page).locator(".message-inbound")).to_have_attribute("data-status", "received")
    expect(box).to_have_value("")
    stored = Message.objects.get(direction=Direction.OUTBOUND, channel=Channel.SMS)
    expect(reply).to_have_attribute("data-message-id", str(stored.id))
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

    expect(
        dialog.get_by_text("“12345” is not a phone number Hatch can text.", exact=False)
    ).to_be_visible()
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


def lose_the_first_answer(page, path):
    """The request reaches Hatch and is carried out, but its answer never arrives."""
    seen = []

    def handle(route):
        seen.append(route.request.headers.get("idempotency-key"))
        if len(seen) == 1:
            route.fetch()  # Hatch stores the message...
            route.abort("connectionreset")  # ...and the page hears nothing.
        else:
            route.continue_()

    page.route(f"**{path}", handle)
    return seen


def test_sending_a_new_conversation_again_after_a_lost_answer_stores_it_once(sign_in):
    page = sign_in()
    keys = lose_the_first_answer(page, "/api/send_message")
    page.get_by_role("button", name="New conversation").click()
    dialog = page.get_by_role("dialog", name="New conversation")
    dialog.get_by_label("To", exact=True).fill("+14155552671")
    dialog.get_by_label("Message").fill("Your table is ready")

    dialog.get_by_role("button", name="Start conversation").click()
    expect(dialog.get_by_text("Hatch could not be reached")).to_be_visible()
    dialog.get_by_role("button", name="Start conversation").click()

    expect(dialog).to_be_hidden()
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert Message.objects.filter(body="Your table is ready").count() == 1


def test_sending_an_email_again_after_a_lost_answer_stores_it_once(sign_in):
    page = sign_in()
    keys = lose_the_first_answer(page, "/api/send_email")
    page.get_by_role("button", name="Compose email").click()
    dialog = page.get_by_role("dialog", name="Compose email")
    dialog.get_by_label("To", exact=True).fill("pat@example.com")
    dialog.get_by_label("Subject").fill("Your order")
    dialog.get_by_label("Message").fill("It shipped today.")

    dialog.get_by_role("button", name="Send email").click()
    expect(dialog.get_by_text("Hatch could not be reached")).to_be_visible()
    dialog.get_by_label("Message").fill("It shipped today!")  # an edit is another email
    dialog.get_by_role("button", name="Send email").click()

    expect(dialog).to_be_hidden()
    assert len(keys) == 2 and keys[0] and keys[1] and keys[0] != keys[1]
    assert sorted(Email.objects.values_list("body", flat=True)) == [
        "It shipped today!",
        "It shipped today.",
    ]


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
    expect(dialog.get_by_text("“not an address” is not a valid email address.")).to_be_visible()
    assert not Email.objects.exists()

    dialog.get_by_label("HTML (optional)").fill("<p>It shipped <b>today</b>.</p>")
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
    assert email.html_content == "<p>It shipped <b>today</b>.</p>"
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
    email_services.email_send(to_email="pat@example.com", subject="Your order", body="Shipped.")
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

    page.get_by_role("button", name="Emails").click()
    expect(page.get_by_role("heading", name="Emails")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("pat@example.com"))).to_be_visible()
    page.get_by_role("link", name=re.compile("pat@example.com")).click()
    expect(page.get_by_role("heading", name="Your order")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("pat@example.com"))).to_be_hidden()
    page.get_by_role("button", name="Back to emails").click()
    expect(page.get_by_role("link", name=re.compile("pat@example.com"))).to_be_visible()
    # Back where the person left off: the thread.
    page.get_by_role("button", name="Conversations").click()
    expect(reply_box).to_be_visible()


def test_scrolling_loads_more_conversations_and_older_messages_in_place(sign_in):
    start = timezone.now() - timedelta(days=2)
    for number in range(55):
        receive(f"Update {number}", sender="+14155550123", at=start + timedelta(minutes=number))
    for number in range(50):
        receive("Hello", sender=f"+1212555{1000 + number}", at=start - timedelta(minutes=number))
    page = sign_in()

    links = conversation_list(page).get_by_role("link")
    expect(links).to_have_count(50)
    page.locator("#list-scroll").evaluate("box => box.scrollTo(0, box.scrollHeight)")
    expect(links).to_have_count(51)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    links.first.click()
    bubbles = thread(page).locator(".bubble")
    expect(bubbles).to_have_count(50)
    expect(bubbles.last).to_have_text("Update 54")
    reading = thread(page).get_by_text("Update 5", exact=True)
    page.locator("#thread-scroll").evaluate("box => box.scrollTo(0, 0)")
    top_before = reading.bounding_box()["y"]

    expect(bubbles).to_have_count(55)
    expect(bubbles.first).to_have_text("Update 0")
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()
    # What the reader was looking at did not move when the older page came in above it.
    assert abs(reading.bounding_box()["y"] - top_before) < 2


def test_load_more_buttons_work_without_scrolling(sign_in):
    """The fallback for a browser without IntersectionObserver: the buttons themselves."""
    start = timezone.now() - timedelta(days=2)
    for number in range(51):
        receive("Hello", sender=f"+1212555{1000 + number}", at=start - timedelta(minutes=number))
    page = sign_in()

    links = conversation_list(page).get_by_role("link")
    expect(links).to_have_count(50)
    page.get_by_role("button", name="Load more").dispatch_event("click")
    expect(links).to_have_count(51)


def test_filters_show_sms_internal_or_failed_conversations(sign_in, casey):
    sms = receive("Is the shop open?", sender="+14155550123")
    internal = services.message_send(to="Dana Scully", body="Lunch?", user=casey)
    failed = services.message_send(to="+12125550147", body="Your parcel is out", user=casey)
    fail_delivery(failed)
    page = sign_in()
    links = conversation_list(page).get_by_role("link")
    filters = page.get_by_role("group", name="Show conversations")
    expect(links).to_have_count(3)
    expect(filters.get_by_role("button", name="All", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    filters.get_by_role("button", name="Internal", exact=True).click()
    expect(links).to_have_count(1)
    expect(item(page, internal.conversation_id)).to_be_visible()
    expect(filters.get_by_role("button", name="Internal", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(filters.get_by_role("button", name="All", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )

    filters.get_by_role("button", name="SMS", exact=True).click()
    expect(links).to_have_count(2)
    expect(item(page, internal.conversation_id)).to_have_count(0)

    filters.get_by_role("button", name="Failed", exact=True).click()
    expect(links).to_have_count(1)
    expect(item(page, failed.conversation_id)).to_be_visible()

    filters.get_by_role("button", name="All", exact=True).click()
    expect(links).to_have_count(3)
    expect(item(page, sms.conversation_id)).to_be_visible()


def test_opening_a_conversation_marks_it_read(sign_in, casey):
    first = receive("Hello?", sender="+14155550123")
    receive("Anyone there?", sender="+14155550123")
    other = receive("Hi", sender="+12125550147")
    page = sign_in()
    badge = item(page, first.conversation_id).locator(".unread-badge")
    expect(badge).to_have_text("2")
    expect(badge).to_be_visible()
    expect(item(page, other.conversation_id).locator(".unread-badge")).to_have_text("1")

    item(page, first.conversation_id).click()

    expect(thread(page).locator(".message-inbound")).to_have_count(2)
    expect(badge).to_be_hidden()
    expect(badge).to_have_attribute("hidden", "")
    expect(item(page, other.conversation_id).locator(".unread-badge")).to_be_visible()

    def read_by_casey(conversation_id) -> int:
        mark = ReadMark.objects.filter(conversation_id=conversation_id, user=casey).first()
        return mark.inbound_read if mark else 0

    for _ in range(50):  # the read request may still be on its way
        if read_by_casey(first.conversation_id) == 2:
            break
        page.wait_for_timeout(20)
    # Read for casey alone (a read mark of theirs), the other conversation still unread.
    assert read_by_casey(first.conversation_id) == 2
    assert read_by_casey(other.conversation_id) == 0

    page.reload()
    expect(page.locator("#inbox")).to_have_attribute("data-ready", "true")
    expect(item(page, other.conversation_id).locator(".unread-badge")).to_have_text("1")
    expect(item(page, first.conversation_id).locator(".unread-badge")).to_be_hidden()


def test_an_mms_shows_hatchs_copies_of_its_media_never_twilios_urls(
    sign_in, fake_providers, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    twilio_urls = [
        fake_providers.add_twilio_media(samples.png(8, 8), "image/png"),
        fake_providers.add_twilio_media(samples.PDF, "application/pdf"),
    ]
    mms = receive(
        "Photos of the damage",
        media=[
            {"url": twilio_urls[0], "content_type": "image/png"},
            {"url": twilio_urls[1], "content_type": "application/pdf"},
        ],
    )
    page = sign_in()
    item(page, mms.conversation_id).click()

    # Before the worker has them: what each is, and that it is on its way.
    message = bubble(page, mms.id)
    expect(message.locator(".media li")).to_have_text(["Image: downloading…", "PDF: downloading…"])
    assert services.message_media_download(message_id=mms.id) == "downloaded"
    page.reload()
    item(page, mms.conversation_id).click()

    message = bubble(page, mms.id)
    image = message.locator(".attachments img")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("src", re.compile(r"^/files/[0-9a-f-]{36}/.+\.png$"))
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth === 8")
    document = message.locator(".attachments .attachment-chip")
    expect(document).to_have_attribute("href", re.compile(r"^/files/[0-9a-f-]{36}/.+\.pdf$"))
    expect(message.locator(".media")).to_have_count(0)
    # Twilio's URLs are in the data (the seed's "media" key), never on the page.
    html = message.inner_html()
    assert not any(url in html for url in twilio_urls)
    assert "127.0.0.1" not in html


def test_a_reply_shows_at_once_and_becomes_the_stored_message(sign_in):
    first = receive("Where are you?", sender="+14155550123")
    page = sign_in()
    item(page, first.conversation_id).click()
    expect(thread(page).locator(".message-inbound")).to_have_count(1)
    held = []
    page.route("**/api/send_message", lambda route: held.append(route))

    box = page.get_by_label("Type a message")
    box.fill("On my way")
    box.press("Enter")

    pending = thread(page).locator('[data-status="pending"]')
    expect(pending).to_have_count(1)
    expect(pending).to_have_attribute("data-message-id", re.compile(r"^tmp-"))
    expect(pending).to_have_attribute("data-direction", "outbound")
    expect(pending.locator(".bubble")).to_have_text("On my way")
    expect(pending.locator(".status-mark")).to_have_text("Pending")
    expect(box).to_have_value("")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    held[0].continue_()

    outbound = thread(page).locator('[data-direction="outbound"]')
    expect(outbound).to_have_attribute("data-status", "queued")
    expect(outbound).to_have_count(1)
    stored = Message.objects.get(direction=Direction.OUTBOUND)
    expect(outbound).to_have_attribute("data-message-id", str(stored.id))
    expect(outbound.locator(".status-mark")).to_have_text("Queued")
    expect(thread(page).locator('[data-message-id^="tmp-"]')).to_have_count(0)


def test_a_refused_reply_stays_with_the_reason_and_a_retry(sign_in):
    first = receive("Hi", sender="+14155550123")
    Suppression.objects.create(address="+14155550123", channel="sms", reason="stop")
    page = sign_in()
    item(page, first.conversation_id).click()

    page.get_by_label("Type a message").fill("Are you still there?")
    page.get_by_role("button", name="Send", exact=True).click()

    refused = thread(page).locator('[data-direction="outbound"]')
    expect(refused).to_have_attribute("data-status", "error")
    expect(refused).to_have_attribute("data-message-id", re.compile(r"^tmp-"))
    expect(refused.locator(".bubble")).to_have_text("Are you still there?")
    expect(refused.locator(".message-error")).to_have_text(re.compile("replied STOP on"))
    expect(refused.locator(".message-error")).to_be_visible()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()

    Suppression.objects.all().delete()  # they texted START
    refused.get_by_role("button", name="Retry").click()

    stored_bubble = thread(page).locator('[data-direction="outbound"]')
    expect(stored_bubble).to_have_attribute("data-status", "queued")
    stored = Message.objects.get(direction=Direction.OUTBOUND)
    expect(stored_bubble).to_have_attribute("data-message-id", str(stored.id))
    expect(stored_bubble.get_by_role("button", name="Retry")).to_have_count(0)


def test_a_failed_sms_shows_the_reason_and_retry_queues_it_again(sign_in, casey):
    message = services.message_send(to="+14155550123", body="Your parcel is out", user=casey)
    fail_delivery(message, code="30006", reason="Landline or unreachable carrier")
    page = sign_in()
    item(page, message.conversation_id).click()

    failed = bubble(page, message.id)
    expect(failed).to_have_attribute("data-status", "failed")
    mark = failed.locator(".status-mark")
    expect(mark).to_have_text("Failed")
    reason = failed.locator(".message-error")
    expect(reason).to_be_visible()  # in words under the bubble, not only on hover
    expect(reason).to_have_text("Not delivered: Landline or unreachable carrier (error 30006)")

    failed.get_by_role("button", name="Retry").click()

    expect(failed).to_have_attribute("data-status", "queued")
    expect(mark).to_have_text("Queued")
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED


def test_emails_view_lists_threads_and_shows_each_email_with_its_status_and_events(
    sign_in, casey, send_delivered_email
):
    delivered = send_delivered_email(user=casey)
    queued = email_services.email_send(
        to_email="sam@example.com", subject="Welcome", body="Hello.", user=casey
    )
    page = sign_in()

    page.get_by_role("button", name="Emails").click()
    threads = page.get_by_role("list", name="Email threads")
    expect(threads.locator("[data-thread-id]")).to_have_count(2)
    # Latest activity first.
    expect(threads.locator("[data-thread-id]").first).to_have_attribute(
        "data-thread-id", str(queued.thread_id)
    )
    expect(page).to_have_url(re.compile(r"\?view=emails$"))
    expect(conversation_list(page)).to_be_hidden()

    threads.locator(f'[data-thread-id="{delivered.thread_id}"]').click()
    expect(page).to_have_url(re.compile(rf"\?view=emails&t={delivered.thread_id}$"))
    expect(page.get_by_role("heading", name="Your order")).to_be_visible()
    email = page.get_by_role("list", name="Emails in this thread").locator(
        f'[data-email-id="{delivered.id}"]'
    )
    expect(email).to_have_attribute("data-status", "delivered")
    expect(email.locator(".email-status")).to_have_text("Delivered")
    expect(email.locator(".email-body")).to_have_text("It shipped.")
    email.get_by_text("Delivery details").click()
    events = email.get_by_role("list", name="Delivery events")
    expect(events.get_by_role("listitem")).to_have_count(2)
    expect(events.get_by_role("listitem").last).to_contain_text("delivered")
    expect(events.get_by_role("listitem").last).to_contain_text("pat@example.com")

    # An email sent from this view starts a thread that joins the list at once.
    page.get_by_role("button", name="Compose email").click()
    dialog = page.get_by_role("dialog", name="Compose email")
    dialog.get_by_label("To", exact=True).fill("lee@example.com")
    dialog.get_by_label("Subject").fill("Receipt")
    dialog.get_by_label("Message", exact=True).fill("Thanks.")
    dialog.get_by_role("button", name="Send email").click()
    expect(dialog).to_be_hidden()
    sent = Email.objects.get(to_email="lee@example.com")
    expect(threads.locator("[data-thread-id]").first).to_have_attribute(
        "data-thread-id", str(sent.thread_id)
    )

    page.get_by_role("button", name="Conversations").click()
    expect(conversation_list(page)).to_be_visible()
    expect(threads).to_be_hidden()
    page.go_back()
    expect(threads).to_be_visible()
    expect(page.get_by_role("heading", name="Your order")).to_be_visible()


def test_compose_dialog_keeps_focus_inside_while_open(sign_in):
    page = sign_in()
    page.get_by_role("button", name="Compose email").click()
    dialog = page.get_by_role("dialog", name="Compose email")
    expect(dialog.get_by_label("To", exact=True)).to_be_focused()
    inside = (
        "() => document.querySelector('#compose-email-dialog').contains(document.activeElement)"
    )

    for _ in range(14):  # more than the dialog has controls: round at least once
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
    dialog.get_by_role("button", name="Send email").focus()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Send email")).to_be_focused()
    for _ in range(14):
        page.keyboard.press("Shift+Tab")
        assert page.evaluate(inside)


def test_the_page_works_without_its_websocket(sign_in):
    """The live server cannot upgrade to a websocket: the page says so and carries on."""
    receive("Hello", sender="+14155550123")
    page = sign_in()

    expect(page.locator("#inbox")).to_have_attribute(
        "data-live", re.compile("^(offline|connecting)$")
    )
    expect(page.locator("#live-indicator")).to_have_attribute(
        "data-state", re.compile("^(offline|connecting)$")
    )
    expect(conversation_list(page).get_by_role("link")).to_have_count(1)


def test_admin_renders_under_the_csp(open_browser):
    """Django's admin must work under the site-wide policy too; open_browser fails the test
    on any violation the console reports."""
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    message = receive("Hello")
    page = open_browser()
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Records and settings")).to_be_visible()

    for path in (
        "/admin/messaging/message/",
        f"/admin/messaging/message/{message.id}/change/",
        f"/admin/auth/user/{root.id}/change/",
        "/admin/auth/user/add/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        expect(page.locator("#content")).to_be_visible()


# templates/rest_framework/api.html replaces DRF's inline <style> and onclick sign-out.
def test_browsable_api_renders_under_the_csp(chromium, live_server, casey):
    violations = []
    context = chromium.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(5_000)
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto("/accounts/login/?next=/api/conversations")
        page.get_by_label("Username").fill(casey.username)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        expect(page.locator(".response-info")).to_contain_text('"conversations"')
        page.goto("/api/")
        expect(page.locator(".response-info")).to_contain_text("conversations")
    finally:
        context.close()
    assert violations == []


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
