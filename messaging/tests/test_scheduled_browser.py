"""Scheduled sends in the inbox, in a real Chromium: an SMS or an email written now and sent
later, from the Schedule control of the reply box, the new-conversation dialog and the
compose-email dialog (never for an internal message, posted at once); the thread showing
what waits (and when it goes), its Edit and Cancel; the Scheduled filters; and the status
moving on live when the message goes or a teammate cancels it.

Hatch runs under daphne in a child process (testing.live_server), so the page's websocket
connects as in production. The browser runs in Asia/Kolkata (UTC+05:30, an offset in half
hours, far from the server's UTC) with an en-US locale: "tomorrow morning" is 08:00 on the
browser's clock, and what the server stores must be that instant. Data is set up through
the services; everything a person does goes through the page, and the database is checked
for what it holds. Every test fails on a script error, an alert, or a
Content-Security-Policy violation.

Without Chromium at /usr/bin/chromium these tests fail; they never skip.
"""

import re
import urllib.request
from datetime import datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from emails.models import Email, EmailStatus
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Direction, Message, MessageStatus
from messaging.tests import twilio_payloads
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory
from testing import live_server
from testing.browser import assert_accessible, browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 800}
BROWSER_ZONE = ZoneInfo("Asia/Kolkata")
HATCH_NUMBER = twilio_payloads.HATCH_NUMBER
CUSTOMER = "+14155550123"
OTHER_CUSTOMER = "+12125550147"
WAIT_MS = 5_000
LIVE_MS = 3_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asgi_server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def server_env():
    """The server's extra environment; a test parametrizes it (quiet hours, for one)."""
    return {}


@pytest.fixture
def asgi_live_server(transactional_db, server_env):
    with live_server.for_test_database(env=server_env) as server:
        yield server


@pytest.fixture
def open_browser(chromium, asgi_live_server):
    with browser_windows(chromium, base_url=asgi_live_server.url, timeout_ms=WAIT_MS) as window:
        yield window


@pytest.fixture
def dana():
    return UserFactory(username="dana", first_name="Dana", last_name="Scully")


@pytest.fixture
def sign_in(open_browser, casey):
    """Sign a teammate in on a browser whose clock reads Asia/Kolkata; the live inbox."""

    def sign_in(user=None) -> Page:
        page = open_browser(DESKTOP)
        # Before the page loads: its formats and its Date read the zone once.
        devtools = page.context.new_cdp_session(page)
        devtools.send("Emulation.setTimezoneOverride", {"timezoneId": BROWSER_ZONE.key})
        devtools.send("Emulation.setLocaleOverride", {"locale": "en-US"})
        sign_in_to_inbox(page, username=(user or casey).username, password=DEFAULT_PASSWORD)
        expect(page.locator("#inbox")).to_have_attribute("data-live", "connected")
        expect(conversation_list(page)).to_have_attribute("aria-busy", "false")
        assert page.evaluate("new Date().getTimezoneOffset()") == -330  # UTC+05:30
        return page

    return sign_in


def receive(body, *, sender=CUSTOMER):
    message, _ = services.message_receive(
        event=InboundMessage(from_contact=sender, to_contact=HATCH_NUMBER, body=body)
    )
    return message


def post_status(server, message_id, status: str) -> None:
    """A status callback for the message, signed and posted as Twilio posts it."""
    params = twilio_payloads.status_callback(
        sid=twilio_payloads.message_sid(), status=status, to=CUSTOMER
    )
    url = f"{server.url}{twilio_payloads.STATUS_PATH}?message_id={message_id}"
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_payloads.signature(params, url=url),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def browser_now() -> datetime:
    return timezone.now().astimezone(BROWSER_ZONE)


def tomorrow_at_eight() -> datetime:
    tomorrow = browser_now().date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(8), tzinfo=BROWSER_ZONE)


def when_text(moment: datetime) -> str:
    """How the page says a time within the coming week, in en-US: "Tue 8:00 AM"."""
    local = moment.astimezone(BROWSER_ZONE)
    return f"{local:%a} {local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def conversation_list(page):
    return page.get_by_role("list", name="Conversations")


def thread(page):
    return page.get_by_role("list", name="Messages")


def open_conversation(page, conversation_id):
    conversation_list(page).locator(f'[data-conversation-id="{conversation_id}"]').click()
    expect(thread(page)).to_have_attribute("aria-busy", "false")


def schedule_button(scope):
    return scope.get_by_role("button", name="Schedule", exact=True)


def send_later_menu(page):
    return page.get_by_role("menu", name="When to send")


def test_a_reply_scheduled_for_tomorrow_morning_waits_can_be_changed_then_canceled(sign_in):
    first = receive("Can you text me when it is ready?")
    other = receive("Thanks, all good.", sender=OTHER_CUSTOMER)
    page = sign_in()
    open_conversation(page, first.conversation_id)
    eight = tomorrow_at_eight()

    # The menu says what each choice means before it is chosen.
    schedule_button(page.locator("#reply-form")).click()
    menu = send_later_menu(page)
    tomorrow = menu.get_by_role("menuitem", name=re.compile("^Tomorrow morning"))
    expect(tomorrow).to_contain_text(when_text(eight))
    tomorrow.click()
    expect(menu).to_be_hidden()
    expect(schedule_button(page.locator("#reply-form"))).to_be_focused()
    chosen = page.locator("#reply-schedule-chosen")
    expect(chosen).to_contain_text(f"Sends {when_text(eight)}")
    send = page.locator("#reply-form button[type=submit]")
    expect(send).to_have_text("Send later")

    box = page.get_by_label("Type a message")
    box.fill("Your parcel is ready for pickup.")
    with page.expect_request(lambda request: request.url.endswith("/api/send_message")) as posted:
        box.press("Enter")
    # The time goes with the browser's offset, never as a naive time.
    assert posted.value.post_data_json["send_at"] == eight.strftime("%Y-%m-%dT08:00:00+05:30")

    waiting = thread(page).locator('[data-status="scheduled"]')
    expect(waiting).to_have_count(1)
    expect(waiting.locator(".bubble")).to_have_text("Your parcel is ready for pickup.")
    expect(waiting.locator(".status-mark")).to_have_text("Scheduled")
    expect(waiting.locator(".schedule-line")).to_have_text(f"Scheduled for {when_text(eight)}")
    expect(box).to_have_value("")
    expect(chosen).to_have_text("")
    expect(send).to_have_text("Send")
    expect(page.locator("#toast")).to_have_text(f"Message scheduled for {when_text(eight)}.")

    stored = Message.objects.get(direction=Direction.OUTBOUND)
    assert (stored.status, stored.body) == (
        MessageStatus.SCHEDULED,
        "Your parcel is ready for pickup.",
    )
    assert stored.scheduled_for == eight
    answer = page.request.get(f"/api/messages/{stored.id}").json()
    assert answer["status"] == "scheduled"
    assert datetime.fromisoformat(answer["scheduled_for"]) == eight
    expect(waiting).to_have_attribute("data-message-id", str(stored.id))

    # The Scheduled filter lists the conversation with a message waiting, and only it.
    filters = page.get_by_role("group", name="Show conversations")
    filters.get_by_role("button", name="Scheduled").click()
    links = conversation_list(page).get_by_role("link")
    expect(links).to_have_count(1)
    expect(links.first).to_have_attribute("data-conversation-id", str(first.conversation_id))
    expect(
        conversation_list(page).locator(f'[data-conversation-id="{other.conversation_id}"]')
    ).to_have_count(0)

    # Edit: other words, and a time the day after, at 9:15.
    waiting.get_by_role("button", name="Edit scheduled message").click()
    form = waiting.get_by_role("form", name="Change the scheduled message")
    expect(form.get_by_label("Message")).to_be_focused()
    expect(form.get_by_label("Send at")).to_have_value(eight.strftime("%Y-%m-%dT08:00"))
    assert_accessible(page, context="with a scheduled message's form open")
    form.get_by_label("Message").fill("Your parcel is ready: come by after 9.")
    later = eight + timedelta(days=1, hours=1, minutes=15)
    form.get_by_label("Send at").fill(later.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name="Save").click()
    expect(form).to_have_count(0)
    expect(waiting.locator(".bubble")).to_have_text("Your parcel is ready: come by after 9.")
    expect(waiting.locator(".schedule-line")).to_have_text(f"Scheduled for {when_text(later)}")
    expect(waiting.get_by_role("button", name="Edit scheduled message")).to_be_focused()
    stored.refresh_from_db()
    assert (stored.status, stored.body) == (
        MessageStatus.SCHEDULED,
        "Your parcel is ready: come by after 9.",
    )
    assert stored.scheduled_for == later

    # Cancel: it stays in the thread, muted, and the Scheduled list no longer holds it.
    item = thread(page).locator(f'[data-message-id="{stored.id}"]')
    item.get_by_role("button", name="Cancel scheduled message").click()
    expect(item).to_have_attribute("data-status", "canceled")
    expect(item.locator(".status-mark")).to_have_text("Canceled")
    expect(item.locator(".schedule-line")).to_have_text(f"Was scheduled for {when_text(later)}")
    expect(item.get_by_role("button")).to_have_count(0)
    expect(page.locator("#toast")).to_have_text("Scheduled message canceled: it will not be sent.")
    stored.refresh_from_db()
    assert stored.status == MessageStatus.CANCELED
    expect(links).to_have_count(0)
    expect(page.get_by_text("No open scheduled conversations.")).to_be_visible()


def test_a_time_hatch_cannot_take_is_refused_in_words_and_internal_messages_cannot_wait(
    sign_in, casey
):
    first = receive("Any news?")
    internal = services.message_send(to="Dana Scully", body="Lunch at noon?", user=casey)
    page = sign_in()
    open_conversation(page, first.conversation_id)
    form = page.locator("#reply-form")

    # A time in the past, picked: refused beside the field, before anything is sent.
    schedule_button(form).click()
    send_later_menu(page).get_by_role("menuitem", name="Pick a time…").click()
    when = form.get_by_label("Send at")
    expect(when).to_be_focused()
    expect(when).to_have_value(tomorrow_at_eight().strftime("%Y-%m-%dT08:00"))
    when.fill("2020-01-01T09:00")
    form.get_by_role("button", name="Set time").click()
    expect(form.get_by_text("Pick a time at least a minute from now.")).to_be_visible()
    expect(when).to_have_attribute("aria-invalid", "true")

    # A time the browser thinks is ahead but Hatch's clock has passed (the browser's clock
    # is 10 minutes slow): Hatch refuses it, said in words, the text kept in the box.
    page.clock.set_fixed_time(timezone.now() - timedelta(minutes=10))
    soon = browser_now() - timedelta(minutes=5)
    when.fill(soon.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name="Set time").click()
    expect(form.get_by_role("group", name="Pick a time to send")).to_be_hidden()
    expect(page.locator("#reply-schedule-chosen")).to_contain_text(f"Sends {when_text(soon)}")
    box = page.get_by_label("Type a message")
    box.fill("See you soon.")
    box.press("Enter")
    expect(page.locator("#reply-form-error")).to_have_text(
        "Pick a time at least a minute from now."
    )
    expect(box).to_have_value("See you soon.")
    assert not Message.objects.filter(direction=Direction.OUTBOUND, channel="sms").exists()

    # Clear: the reply goes now, as a plain Send.
    page.get_by_role("button", name="Clear the scheduled time").click()
    expect(schedule_button(form)).to_be_focused()
    expect(page.locator("#reply-form button[type=submit]")).to_have_text("Send")

    # An internal conversation has no Schedule control: it is posted at once.
    open_conversation(page, internal.conversation_id)
    expect(page.locator("#reply-schedule")).to_be_hidden()


def test_a_new_conversation_can_start_later_but_a_message_to_a_name_cannot(sign_in):
    page = sign_in()
    page.get_by_role("button", name="New conversation").click()
    dialog = page.get_by_role("dialog", name="New conversation")
    to = dialog.get_by_label("To", exact=True)
    to.fill("Dana Scully")
    expect(schedule_button(dialog)).to_be_disabled()
    expect(dialog.locator("#new-conversation-schedule-chosen")).to_have_text(
        "Only an SMS can be scheduled: a message to a name is posted at once."
    )

    to.fill("(415) 555-2671")
    expect(schedule_button(dialog)).to_be_enabled()
    schedule_button(dialog).click()
    send_later_menu(page).get_by_role("menuitem", name=re.compile("^Tomorrow morning")).click()
    eight = tomorrow_at_eight()
    expect(dialog.locator("#new-conversation-schedule-chosen")).to_contain_text(
        f"Sends {when_text(eight)}"
    )
    dialog.get_by_label("Message").fill("Hello from Hatch")
    dialog.get_by_role("button", name="Schedule message").click()

    expect(dialog).to_be_hidden()
    waiting = thread(page).locator('[data-status="scheduled"]')
    expect(waiting.locator(".bubble")).to_have_text("Hello from Hatch")
    expect(waiting.locator(".schedule-line")).to_have_text(f"Scheduled for {when_text(eight)}")
    stored = Message.objects.get()
    assert (stored.to_contact, stored.status) == ("+14155552671", MessageStatus.SCHEDULED)
    assert stored.scheduled_for == eight


@pytest.mark.parametrize("server_env", [{"QUIET_HOURS": "21:00-08:00"}])
def test_a_message_held_by_quiet_hours_says_until_when(sign_in, casey):
    first = receive("Text me tonight")
    asked = timezone.now() + timedelta(hours=2)
    message = services.message_send(to=CUSTOMER, body="Tonight it is.", user=casey, send_at=asked)
    # As the service stores one its quiet hours hold: due later than asked.
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SCHEDULED, next_attempt_at=asked + timedelta(hours=9)
    )
    page = sign_in()
    open_conversation(page, first.conversation_id)
    waiting = thread(page).locator(f'[data-message-id="{message.id}"]')
    expect(waiting.locator(".schedule-line")).to_have_text(
        f"Scheduled for {when_text(asked)} · held until 08:00 (recipient's time)"
    )


def test_an_email_scheduled_from_the_compose_dialog_waits_then_is_changed_and_canceled(
    sign_in,
):
    page = sign_in()
    page.get_by_role("button", name="Compose email").click()
    dialog = page.get_by_role("dialog", name="Compose email")
    dialog.get_by_label("To", exact=True).fill("pat@example.com")
    dialog.get_by_label("Subject").fill("Your order")
    dialog.get_by_label("Message").fill("It ships on Friday.")

    schedule_button(dialog).click()
    send_later_menu(page).get_by_role("menuitem", name="Pick a time…").click()
    when = dialog.get_by_label("Send at")
    expect(when).to_be_focused()
    at = datetime.combine(browser_now().date() + timedelta(days=3), time(9, 30), BROWSER_ZONE)
    when.fill(at.strftime("%Y-%m-%dT%H:%M"))
    # Enter in the field sets the time; it does not send the email.
    when.press("Enter")
    expect(dialog.locator("#compose-schedule-chosen")).to_contain_text(f"Sends {when_text(at)}")
    assert not Email.objects.exists()
    with page.expect_request(lambda request: request.url.endswith("/api/send_email")) as posted:
        dialog.get_by_role("button", name="Schedule email").click()
    assert posted.value.post_data_json["send_at"] == at.strftime("%Y-%m-%dT09:30:00+05:30")
    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_have_text(
        f"Email to pat@example.com scheduled for {when_text(at)}."
    )
    stored = Email.objects.get()
    assert (stored.status, stored.scheduled_for) == (EmailStatus.SCHEDULED, at)

    # The Emails view's Scheduled filter lists its thread; the thread shows it waiting.
    page.get_by_role("button", name="Emails").click()
    page.get_by_role("group", name="Show emails").get_by_role("button", name="Scheduled").click()
    threads = page.get_by_role("list", name="Email threads")
    expect(threads.get_by_role("link")).to_have_count(1)
    threads.locator(f'[data-thread-id="{stored.thread_id}"]').click()
    email = page.locator(f'[data-email-id="{stored.id}"]')
    expect(email.locator(".email-status")).to_have_text("Scheduled")
    expect(email.locator(".schedule-line")).to_have_text(f"Scheduled for {when_text(at)}")
    expect(email.get_by_role("button", name="Reply", exact=True)).to_have_count(0)

    email.get_by_role("button", name="Edit scheduled email").click()
    form = email.get_by_role("form", name="Change the scheduled email")
    form.get_by_label("Subject").fill("Your order ships Friday")
    form.get_by_role("button", name="Save").click()
    expect(form).to_have_count(0)
    expect(email.locator(".email-recipients")).to_contain_text("Your order ships Friday")
    stored.refresh_from_db()
    assert (stored.subject, stored.status) == ("Your order ships Friday", EmailStatus.SCHEDULED)

    email.get_by_role("button", name="Cancel scheduled email").click()
    expect(email.locator(".email-status")).to_have_text("Canceled")
    expect(email.locator(".schedule-line")).to_have_text(f"Was scheduled for {when_text(at)}")
    stored.refresh_from_db()
    assert stored.status == EmailStatus.CANCELED
    expect(threads.get_by_role("link")).to_have_count(0)
    expect(page.get_by_text("No scheduled emails.")).to_be_visible()


def test_a_scheduled_message_follows_its_status_live_on_every_screen(
    sign_in, asgi_live_server, casey, dana
):
    first = receive("Remind me tomorrow?")
    going = services.message_send(
        to=CUSTOMER, body="Reminder: pickup today.", user=casey, send_at=tomorrow_at_eight()
    )
    waiting = services.message_send(
        to=CUSTOMER,
        body="Second reminder.",
        user=casey,
        send_at=tomorrow_at_eight() + timedelta(hours=1),
    )
    casey_page = sign_in(casey)
    dana_page = sign_in(dana)
    for page in (casey_page, dana_page):
        open_conversation(page, first.conversation_id)
        expect(thread(page).locator('[data-status="scheduled"]')).to_have_count(2)
    casey_page.get_by_role("group", name="Show conversations").get_by_role(
        "button", name="Scheduled"
    ).click()
    links = conversation_list(casey_page).get_by_role("link")
    expect(links).to_have_count(1)

    # It goes: Twilio reports it sent, and both screens follow without a reload.
    post_status(asgi_live_server, going.id, "sent")
    for page in (casey_page, dana_page):
        item = thread(page).locator(f'[data-message-id="{going.id}"]')
        expect(item).to_have_attribute("data-status", "sent", timeout=LIVE_MS)
        expect(item.locator(".status-mark")).to_have_text("Sent")
        expect(item.locator(".schedule-line")).to_have_count(0)
        expect(item.get_by_role("button")).to_have_count(0)
    # Another still waits: the conversation stays in Casey's Scheduled list.
    expect(links).to_have_count(1)

    # Dana cancels the other one; Casey sees it canceled, and nothing waits any more.
    dana_item = thread(dana_page).locator(f'[data-message-id="{waiting.id}"]')
    dana_item.get_by_role("button", name="Cancel scheduled message").click()
    expect(dana_item).to_have_attribute("data-status", "canceled")
    casey_item = thread(casey_page).locator(f'[data-message-id="{waiting.id}"]')
    expect(casey_item).to_have_attribute("data-status", "canceled", timeout=LIVE_MS)
    expect(casey_item.locator(".status-mark")).to_have_text("Canceled")
    expect(links).to_have_count(0, timeout=LIVE_MS)
    assert Message.objects.get(pk=waiting.pk).status == MessageStatus.CANCELED
