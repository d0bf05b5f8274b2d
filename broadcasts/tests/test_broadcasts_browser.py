"""The Broadcasts page in a real Chromium: a teammate composes a broadcast, previews what it
would send (who, who is skipped and why, the first recipient's own text), sends it, and
follows its progress live; pauses, resumes and cancels one; sends one later to a CSV.

Hatch runs under daphne in a child process (testing.live_server) with no task worker
(TASK_BACKEND=dummy): what a worker would do, this process does, through the same
services (broadcast_prepare, then the outbox's drain to the local fake Twilio). Their
progress events reach the page the way a worker's do in production: through the Redis
channel layer, which the server and this process share for the test. Data is set up
through the services; everything a person does goes through the page, and the database is
checked for what it holds. Every test fails on a script error, an alert, or a
Content-Security-Policy violation.

Without Chromium at /usr/bin/chromium, or Redis at 127.0.0.1:6379, these tests fail; they
never skip.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from broadcasts import services
from broadcasts.models import Broadcast, BroadcastStatus
from broadcasts.recipients import recipients_resolve
from contacts.services import contact_create
from idempotency.models import IdempotencyKey
from messaging.consent import phone_opt_out_by_keyword
from messaging.delivery import sms_outbox
from messaging.models import Message
from messaging.tests.factories import DEFAULT_PASSWORD
from outbox.scheduling import PAUSED_UNTIL
from team.models import Label
from testing import live_server
from testing.browser import assert_accessible, browser_windows, sign_in_to_inbox
from testing.redis_databases import redis_channel_layers, redis_database

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 5_000
# A database of its own on the shared Redis: messaging/tests/test_realtime.py and
# tests/test_throttling.py use 15, bench 14, tests/test_several_machines.py 13.
REDIS_TEST_URL = "redis://127.0.0.1:6379/12"
# Live progress crosses two processes and Redis; on a loaded machine that has taken seconds.
LIVE_MS = 10_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asgi_server,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def redis_layer(settings):
    """This process's channel layer on the Redis the server uses, so that the progress
    events of the work done here reach the pages connected to the server."""
    with redis_database(REDIS_TEST_URL) as url:
        settings.CHANNEL_LAYERS = redis_channel_layers(url)
        yield url


@pytest.fixture
def server_env():
    """The server's extra environment; a test parametrizes it (a sending rate, for one)."""
    return {}


@pytest.fixture
def asgi_live_server(transactional_db, redis_layer, server_env):
    env = {"REDIS_URL": redis_layer, **server_env}
    with live_server.for_test_database(env=env) as server:
        yield server


@pytest.fixture
def open_window(chromium, asgi_live_server):
    with browser_windows(chromium, base_url=asgi_live_server.url, timeout_ms=WAIT_MS) as window:
        yield window


@pytest.fixture
def sign_in(open_window, user):
    """Sign casey in through the login form, go to Broadcasts by the inbox's link, and wait
    until the page is live."""

    def sign_in(viewport=DESKTOP) -> Page:
        page = sign_in_to_inbox(
            open_window(viewport), username=user.username, password=DEFAULT_PASSWORD
        )
        page.get_by_role("link", name="Broadcasts").click()
        expect(page).to_have_url(re.compile(r"/broadcasts$"))
        root = page.locator("#broadcasts")
        expect(root).to_have_attribute("data-ready", "true")
        expect(root).to_have_attribute("data-live", "connected")
        # Set once: a reload would drop it.
        page.evaluate("() => { window.__hatchSamePage = true; }")
        return page

    return sign_in


def list_item(page: Page, name: str):
    return page.locator("#broadcast-list [data-broadcast-id]", has_text=name)


def sending_broadcast(name: str, numbers: list[str], user) -> Broadcast:
    """A broadcast whose messages are created and wait for the outbox, as after its task."""
    broadcast = services.broadcast_create(
        name=name,
        channel="sms",
        body="Our spring menu starts Friday.",
        recipients=recipients_resolve(channel="sms", addresses=numbers),
        user=user,
    )
    assert services.broadcast_prepare(broadcast_id=broadcast.id) == "done"
    return broadcast


def test_an_sms_broadcast_to_a_label_is_previewed_sent_and_followed_live(
    sign_in, user, fake_providers
):
    vip = Label.objects.create(name="VIP")
    for name, phone in (("Ada Lovelace", "+14155550101"), ("Grace Hopper", "+14155550102")):
        contact_create(name=name, phones=[phone]).labels.add(vip)
    phone_opt_out_by_keyword(phone="+14155550103", keyword="STOP")
    page = sign_in()
    expect(page.locator("#broadcast-list-status")).to_have_text(
        "No broadcasts yet. Write the first with New broadcast."
    )

    # Nothing filled in: each field says what it needs, in words.
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#broadcast-name-error")).to_have_text(
        "Give the broadcast a name, e.g. “December opening hours”."
    )
    expect(page.locator("#broadcast-body-error")).to_have_text(
        "Write the text the broadcast sends."
    )
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Name", exact=True).fill("Holiday hours")
    expect(page.get_by_label("SMS", exact=True)).to_be_checked()
    page.get_by_label("Text", exact=True).fill("Hi , we open at 10 on the 24th.")
    page.get_by_label("Text", exact=True).evaluate("(box) => box.setSelectionRange(3, 3)")
    page.get_by_role("button", name="First name").click()
    text = page.get_by_label("Text", exact=True)
    expect(text).to_have_value("Hi {{contact.first_name}}, we open at 10 on the 24th.")
    text.fill('Hi {{contact.first_name|default:"there"}}, we open at 10 on the 24th.')
    # The counter counts the footer each SMS ends with.
    expect(page.locator("#broadcast-counter")).to_contain_text("1 segment")
    expect(page.locator("#broadcast-counter")).to_contain_text("footer included")
    page.get_by_label("VIP").check()
    # An opted-out number, one that is not a number, and Ada's again (by her label too).
    page.get_by_label("Phone numbers").fill("+1 415 555 0103\nnot a number, (415) 555-0101")
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#preview-count")).to_have_text("2 people")
    expect(page.locator("#preview-skipped")).to_have_text(
        "Skipped: 1 opted out, 1 invalid, 1 listed twice."
    )
    expect(page.locator("#preview-sample-caption")).to_have_text(
        "What the first of them, +1 (415) 555-0101, gets:"
    )
    expect(page.locator("#preview-body")).to_have_text(
        "Hi Ada, we open at 10 on the 24th.\nReply STOP to opt out"
    )
    expect(page.locator("#preview-segments")).to_have_text(
        "This text is 1 segment; 2 segments in all."
    )
    expect(page.locator("#preview-timing")).to_have_text(
        "They go out right away, as fast as the provider takes them."
    )
    expect(page.locator("#preview-warning")).to_be_hidden()
    assert not Broadcast.objects.exists()
    assert_accessible(page, context="the Broadcasts page's preview at 1280 px")

    page.get_by_role("button", name="Send to 2 people").click()

    item = list_item(page, "Holiday hours")
    expect(item).to_have_count(1)
    broadcast = Broadcast.objects.get()
    expect(page).to_have_url(re.compile(rf"/broadcasts#{broadcast.id}$"))
    expect(page.get_by_role("heading", name="Holiday hours", level=2)).to_be_visible()
    expect(page.locator("#detail-status")).to_have_text("Preparing")
    expect(item.locator(".broadcast-summary")).to_have_text("2 waiting, 3 skipped")
    expect(page.locator("#preview-count")).to_be_hidden()  # the form is reset
    assert broadcast.status == BroadcastStatus.PREPARING
    assert broadcast.created_by == user
    assert broadcast.body == 'Hi {{contact.first_name|default:"there"}}, we open at 10 on the 24th.'
    assert sorted(broadcast.recipients.values_list("outcome", flat=True)) == [
        "pending",
        "pending",
        "skipped_duplicate",
        "skipped_invalid",
        "skipped_opted_out",
    ]
    # Sent with an Idempotency-Key, stored with the broadcast it created.
    assert IdempotencyKey.objects.filter(user=user, response_status=201).count() == 1

    # What the worker would do: create the messages, then send them through the outbox.
    assert services.broadcast_prepare(broadcast_id=broadcast.id) == "done"
    expect(page.locator("#detail-status")).to_have_text("Sending", timeout=LIVE_MS)
    assert sms_outbox.drain() == {"sent": 2}

    expect(item.locator(".broadcast-summary")).to_have_text("2 sent, 3 skipped", timeout=LIVE_MS)
    expect(page.locator("#detail-status")).to_have_text("Done", timeout=LIVE_MS)
    expect(item.locator("progress")).to_have_attribute("value", "5")
    expect(page.locator("#detail-progress-text")).to_have_text(
        "5 of 5 recipients handled: 2 sent, 3 skipped."
    )
    # Every count, in the order the page names them (waiting, sent, delivered, failed,
    # canceled, each skip, then all listed).
    expect(page.get_by_role("definition")).to_have_text(
        ["0", "2", "0", "0", "0", "1", "1", "1", "5"]
    )
    expect(page.get_by_role("term").nth(1)).to_have_text(
        "Senthanded to the provider, not yet reported delivered"
    )
    expect(page.get_by_role("button", name="Pause")).to_be_hidden()
    expect(page.get_by_role("button", name="Cancel broadcast")).to_be_hidden()
    assert page.evaluate("window.__hatchSamePage") is True  # live, without a reload
    assert Broadcast.objects.get().status == BroadcastStatus.DONE
    assert dict(Message.objects.values_list("to_contact", "body")) == {
        "+14155550101": "Hi Ada, we open at 10 on the 24th.\nReply STOP to opt out",
        "+14155550102": "Hi Grace, we open at 10 on the 24th.\nReply STOP to opt out",
    }
    assert sorted(r.field("To") for r in fake_providers.twilio_messages()) == [
        "+14155550101",
        "+14155550102",
    ]
    assert_accessible(page, context="a broadcast's details at 1280 px")

    # A phone: one column, nothing wider than the window.
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("heading", name="Broadcasts", level=1)).to_be_visible()
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
    assert_accessible(page, context="a broadcast's details at 390 px")


def test_pause_resume_and_cancel_and_a_refusal_in_words(sign_in, user, monkeypatch):
    spring = sending_broadcast("Spring menu", ["+14155550111", "+14155550112"], user)
    late = sending_broadcast("Late opening", ["+14155550113"], user)
    page = sign_in()
    detail = page.locator("#broadcast-detail")
    status = page.locator("#detail-status")

    list_item(page, "Spring menu").get_by_role("link").click()
    expect(detail.get_by_role("heading", name="Spring menu")).to_be_visible()
    expect(status).to_have_text("Sending")
    expect(page.locator("#detail-progress-text")).to_have_text(
        "0 of 2 recipients handled: 2 waiting."
    )

    page.get_by_role("button", name="Pause").click()
    expect(status).to_have_text("Paused")
    expect(page.locator("#detail-pause-reason")).to_have_text("Paused by hand.")
    expect(page.get_by_role("button", name="Resume")).to_be_focused()
    expect(list_item(page, "Spring menu").locator(".broadcast-status")).to_have_text("Paused")
    spring.refresh_from_db()
    assert spring.status == BroadcastStatus.PAUSED
    assert set(
        Message.objects.filter(broadcast_id=spring.id).values_list("next_attempt_at", flat=True)
    ) == {PAUSED_UNTIL}

    page.get_by_role("button", name="Resume").click()
    expect(status).to_have_text("Sending")
    expect(page.locator("#detail-pause-reason")).to_be_hidden()
    spring.refresh_from_db()
    assert spring.status == BroadcastStatus.SENDING

    # Cancel asks first; keeping it changes nothing.
    page.get_by_role("button", name="Cancel broadcast").click()
    dialog = page.get_by_role("dialog", name="Cancel this broadcast?")
    expect(dialog).to_contain_text(
        "“Spring menu”: The 2 messages not yet sent will not go. What has gone stays sent."
    )
    dialog.get_by_role("button", name="Keep sending").click()
    expect(dialog).to_be_hidden()
    spring.refresh_from_db()
    assert spring.status == BroadcastStatus.SENDING

    page.get_by_role("button", name="Cancel broadcast").click()
    dialog.get_by_role("button", name="Cancel broadcast").click()
    expect(status).to_have_text("Canceled")
    expect(list_item(page, "Spring menu").locator(".broadcast-summary")).to_have_text("2 canceled")
    for name in ("Pause", "Resume", "Cancel broadcast"):
        expect(detail.get_by_role("button", name=name)).to_be_hidden()
    spring.refresh_from_db()
    assert spring.status == BroadcastStatus.CANCELED
    assert set(Message.objects.filter(broadcast_id=spring.id).values_list("status", flat=True)) == {
        "canceled"
    }

    # A teammate cancels the other one, and the page never hears of it (its event is
    # lost): Pause is refused, in words, and the page then shows it as it stands.
    list_item(page, "Late opening").get_by_role("link").click()
    expect(detail.get_by_role("heading", name="Late opening")).to_be_visible()
    expect(status).to_have_text("Sending")
    monkeypatch.setattr("broadcasts.services.publish_broadcast_progress", lambda *a, **k: None)
    services.broadcast_cancel(broadcast=late)

    page.get_by_role("button", name="Pause").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Only a broadcast being sent can be paused; this one is canceled."
    )
    expect(status).to_have_text("Canceled")
    expect(detail.get_by_role("button", name="Pause")).to_be_hidden()
    late.refresh_from_db()
    assert late.status == BroadcastStatus.CANCELED

    # The address names the open broadcast: a reload opens it again.
    page.reload()
    expect(page.locator("#broadcasts")).to_have_attribute("data-ready", "true")
    expect(detail.get_by_role("heading", name="Late opening")).to_be_visible()
    expect(status).to_have_text("Canceled")


# Slow enough that two SMS outlast Twilio's queue window (about 10 hours): the preview warns.
@pytest.mark.parametrize("server_env", [{"SMS_SENDER_RATE": "0.00001"}])
def test_a_csv_broadcast_sent_later_fills_in_its_own_columns(sign_in, user):
    page = sign_in()
    page.get_by_label("Name", exact=True).fill("Tables")

    # Email asks for a subject and takes addresses.
    page.get_by_label("Email", exact=True).check()
    expect(page.get_by_label("Subject")).to_be_visible()
    expect(page.get_by_label("Email addresses")).to_be_visible()
    page.get_by_label("Text", exact=True).fill("See you tonight.")
    page.get_by_label("Email addresses").fill("ada@example.com")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#broadcast-subject-error")).to_have_text(
        "An email broadcast needs a subject."
    )
    expect(page.get_by_label("Subject")).to_be_focused()

    page.get_by_label("SMS", exact=True).check()
    expect(page.get_by_label("Subject")).to_be_hidden()
    page.get_by_label("Text", exact=True).fill(
        'Hi {{contact.first_name|default:"friend"}}, table {{contact.table}} is yours.'
    )
    page.get_by_label("A CSV file").check()
    expect(page.get_by_label("Phone numbers")).to_be_hidden()
    csv_file = page.get_by_label("CSV file", exact=True)

    # A file without the column of numbers: said under the file.
    csv_file.set_input_files(
        files=[{"name": "guests.csv", "mimeType": "text/csv", "buffer": b"name,table\nAda,4\n"}]
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#broadcast-file-error")).to_have_text(
        "The CSV needs a 'phone' column (its first line names the columns, e.g. "
        "'phone,first_name')."
    )

    csv_file.set_input_files(
        files=[
            {
                "name": "guests.csv",
                "mimeType": "text/csv",
                "buffer": b"phone,first_name,table\n+14155550101,Ada,4\n+14155550102,,7\n",
            }
        ]
    )
    page.get_by_role("button", name="Send later").click()
    page.get_by_role("menuitem", name=re.compile("Tomorrow morning")).click()
    expect(page.locator("#broadcast-schedule-chosen")).to_contain_text("Sends")
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#preview-count")).to_have_text("2 people")
    expect(page.locator("#preview-when")).to_have_text(re.compile(r"^, from \w{3} 8:00"))
    expect(page.locator("#preview-skipped")).to_have_text("Nobody listed is skipped.")
    expect(page.locator("#preview-body")).to_have_text(
        "Hi Ada, table 4 is yours.\nReply STOP to opt out"
    )
    expect(page.locator("#preview-timing")).to_contain_text(
        "Paced at the sending rate, they take about 55 h 33 min from"
    )
    expect(page.locator("#preview-warning")).to_contain_text(
        "Twilio fails what waits in its queue longer than about 10"
    )

    page.get_by_role("button", name="Send to 2 people").click()

    item = list_item(page, "Tables")
    expect(item.locator(".broadcast-status")).to_have_text(re.compile(r"^Scheduled for \w{3} 8:00"))
    broadcast = Broadcast.objects.get()
    expect(page.locator("#detail-warning")).to_contain_text("Twilio fails what waits")
    tomorrow = timezone.now() + timedelta(days=1)
    assert broadcast.send_at is not None
    assert timezone.now() < broadcast.send_at < tomorrow + timedelta(hours=9)
    assert sorted(broadcast.recipients.values_list("address", "variables")) == [
        ("+14155550101", {"contact.first_name": "Ada", "contact.table": "4"}),
        ("+14155550102", {"contact.first_name": "", "contact.table": "7"}),
    ]
