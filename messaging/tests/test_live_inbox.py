"""The inbox live over its websocket, against the production ASGI stack.

Each test runs Hatch under daphne in a child process (testing.live_server) on the test
database, and drives Debian's Chromium with Playwright. What reaches the page arrives the way
production delivers it: Twilio's signed webhooks posted over HTTP, the service commits, the
event goes through Channels to the page's websocket. Nothing reloads the page.

Latencies are measured in the page: a MutationObserver records (Date.now()) the moment the
change is in the DOM, compared with the wall-clock time just before the webhook was posted.
They are printed and kept as junit properties (``record_property``).

Without Chromium at /usr/bin/chromium these tests fail; they never skip.
"""

import json
import re
import time
import urllib.request
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Locator, Page, expect

from conversations.services import conversation_mark_read
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Direction, Message, MessageStatus
from messaging.tests import twilio_payloads
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory
from testing import live_server
from testing.browser import browser_windows

DESKTOP = {"width": 1280, "height": 800}
HATCH_NUMBER = twilio_payloads.HATCH_NUMBER
CUSTOMER = "+14155550123"
OTHER_CUSTOMER = "+12125550147"
XSS = "<img src=x onerror=alert(1)>"
# What "live" means here: from the webhook's POST to the change on screen.
LIVE_BUDGET_MS = 2_000
# Waits run past the budget, so that a slow update fails with its measured latency.
WAIT_MS = 5_000
# A reconnecting page backs off between attempts; give it a few rounds.
RECONNECT_WAIT_MS = 15_000
# Conversation list items (the thread's elements may name their conversation too).
CONVERSATIONS = "[data-conversation-id]:has(.unread-badge)"
MESSAGES = "[data-message-id]"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asgi_server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def asgi_live_server(transactional_db):
    """daphne on the test database, one per test.

    Per test rather than per module: it starts in well under a second, and no test then
    inherits another's websockets, pooled connections or a server left stopped. It stops
    before pytest-django empties the tables (this fixture depends on transactional_db),
    so no pooled connection stands in the way of the flush.
    """
    with live_server.for_test_database() as server:
        yield server


@pytest.fixture
def open_browser(chromium, asgi_live_server):
    """Open a fresh browser window on the live server (see browser_windows)."""
    with browser_windows(
        chromium, base_url=asgi_live_server.url, timeout_ms=WAIT_MS
    ) as open_window:
        yield lambda viewport=DESKTOP: open_window(viewport)


@pytest.fixture
def dana():
    return UserFactory(username="dana", first_name="Dana", last_name="Scully")


@pytest.fixture
def sign_in(open_browser, casey):
    """Sign a user (casey by default) in through the login form; return the live inbox."""

    def sign_in(user=None) -> Page:
        user = user or casey
        page = open_browser()
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#inbox[data-ready]")).to_have_count(1)
        expect(page.locator("#inbox")).to_have_attribute("data-live", "connected")
        # Set once: a reload (or a navigation) would drop it.
        page.evaluate("() => { window.__hatchSamePage = true; }")
        return page

    return sign_in


@pytest.fixture
def report(record_property, capsys):
    """Keep a measurement as a junit property and print it, even without ``-s``."""

    def report(name: str, milliseconds: float) -> None:
        record_property(name, round(milliseconds))
        with capsys.disabled():
            print(f"\n    {name}: {milliseconds:.0f} ms", end="")

    return report


def receive(body, *, sender=CUSTOMER):
    """An inbound SMS stored through the service, in this process, committed at once."""
    message, _ = services.message_receive(
        event=InboundMessage(from_contact=sender, to_contact=HATCH_NUMBER, body=body)
    )
    return message


def post_twilio(server, path: str, params: dict[str, str]) -> float:
    """POST a webhook signed as Twilio signs it; return the wall-clock time it left (ms)."""
    url = server.url + path
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_payloads.signature(params, url=url),
        },
    )
    sent_at = time.time() * 1000
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    return sent_at


def post_inbound_sms(server, body: str, *, sender=CUSTOMER) -> float:
    params = twilio_payloads.inbound_sms(body=body, from_=sender, to=HATCH_NUMBER)
    return post_twilio(server, twilio_payloads.INBOUND_PATH, params)


def post_status(server, message_id: str, status: str, *, sid: str, **extra) -> float:
    params = twilio_payloads.status_callback(sid=sid, status=status, to=CUSTOMER, **extra)
    return post_twilio(server, f"{twilio_payloads.STATUS_PATH}?message_id={message_id}", params)


# Records window.__hatchSeen[name] = Date.now() once CONDITION holds.
WATCH = """(name) => {
    const holds = () => CONDITION;
    window.__hatchSeen ??= {};
    const check = () => {
        if (!(name in window.__hatchSeen) && holds()) {
            window.__hatchSeen[name] = Date.now();
            observer.disconnect();
        }
    };
    const observer = new MutationObserver(check);
    observer.observe(document, {
        subtree: true, childList: true, attributes: true, characterData: true,
    });
    check();
}"""


def watch(page: Page, name: str, condition: str) -> None:
    """Record in the page when the JS expression ``condition`` first holds.

    A MutationObserver checks it on every DOM change, so the time is when the page changed,
    not when a poll from here noticed.
    """
    page.evaluate(WATCH.replace("CONDITION", condition), name)


def latency(page: Page, name: str, since_ms: float, timeout_ms: int = WAIT_MS) -> float:
    """Milliseconds from ``since_ms`` until the watched condition ``name`` held."""
    deadline = time.monotonic() + timeout_ms / 1000
    while (seen := page.evaluate("(name) => window.__hatchSeen?.[name] ?? null", name)) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"{name!r} did not happen within {timeout_ms} ms", pytrace=False)
        page.wait_for_timeout(20)
    return seen - since_ms


def message_with_text(text: str) -> str:
    """A JS condition: a thread message containing ``text`` is in the page."""
    return (
        f"[...document.querySelectorAll({json.dumps(MESSAGES)})]"
        f".some((node) => node.textContent.includes({json.dumps(text)}))"
    )


def conversation(page: Page, conversation_id) -> Locator:
    return page.locator(f'{CONVERSATIONS}[data-conversation-id="{conversation_id}"]')


def open_conversation(page: Page, conversation_id, *, showing: str) -> None:
    conversation(page, conversation_id).click()
    expect(page.locator(MESSAGES).filter(has_text=showing).first).to_be_visible()


def send_reply(page: Page, text: str) -> tuple[str, Locator]:
    """Type ``text`` in the reply box and press Enter; return the stored message's id and
    its bubble, once Hatch has stored it (queued)."""
    box = page.get_by_label("Type a message")
    box.fill(text)
    box.press("Enter")
    # Not the page's own "pending" placeholder, which has a temporary id.
    stored = page.locator(f'{MESSAGES}[data-direction="outbound"][data-status="queued"]')
    stored = stored.filter(has_text=text)
    expect(stored).to_have_count(1)
    message_id = stored.get_attribute("data-message-id")
    return message_id, page.locator(f'{MESSAGES}[data-message-id="{message_id}"]')


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.__hatchSamePage === true"), "the page was reloaded"


def test_inbound_sms_shows_live_in_the_open_thread_and_moves_its_conversation_up(
    asgi_live_server, sign_in, casey, report
):
    opened = receive("Is my order ready?", sender=CUSTOMER)
    other = receive("Do you deliver on Sundays?", sender=OTHER_CUSTOMER)
    for message in (opened, other):
        conversation_mark_read(conversation_id=message.conversation_id, user=casey)
    page = sign_in()
    items = page.locator(CONVERSATIONS)
    expect(items).to_have_count(2)
    expect(items.first).to_have_attribute("data-conversation-id", str(other.conversation_id))
    open_conversation(page, opened.conversation_id, showing="Is my order ready?")

    watch(page, "thread", message_with_text("It is 5pm, where are you?"))
    sent = post_inbound_sms(asgi_live_server, "It is 5pm, where are you?", sender=CUSTOMER)
    to_thread = latency(page, "thread", sent)
    report("inbound_sms_to_open_thread_ms", to_thread)
    assert to_thread < LIVE_BUDGET_MS
    pushed = page.locator(MESSAGES).filter(has_text="It is 5pm, where are you?")
    expect(pushed).to_have_count(1)
    expect(pushed).to_have_attribute("data-direction", "inbound")
    expect(pushed).to_have_attribute("data-status", "received")
    expect(items.first).to_have_attribute(
        "data-conversation-id", str(opened.conversation_id), timeout=LIVE_BUDGET_MS
    )

    # A conversation that is not open comes to the top with its unread count.
    badge = conversation(page, other.conversation_id).locator(".unread-badge")
    expect(badge).to_be_hidden()
    watch(
        page,
        "list",
        f"""(() => {{
            const first = document.querySelector({json.dumps(CONVERSATIONS)});
            const badge = first?.querySelector(".unread-badge");
            return first?.dataset.conversationId === {json.dumps(str(other.conversation_id))}
                && !badge.hidden && badge.textContent.trim() === "1";
        }})()""",
    )
    sent = post_inbound_sms(asgi_live_server, "Also, do you take cards?", sender=OTHER_CUSTOMER)
    to_list = latency(page, "list", sent)
    report("inbound_sms_to_list_top_with_badge_ms", to_list)
    assert to_list < LIVE_BUDGET_MS
    expect(items.first).to_have_attribute("data-conversation-id", str(other.conversation_id))
    expect(badge).to_be_visible()
    expect(badge).to_have_text("1")
    expect(items.first).to_contain_text("Also, do you take cards?")
    expect(items).to_have_count(2)
    # The open thread shows only its own conversation's messages.
    expect(page.locator(MESSAGES).filter(has_text="do you take cards")).to_have_count(0)
    assert_not_reloaded(page)


def test_status_callbacks_move_the_status_mark_live_and_a_failure_offers_retry(
    asgi_live_server, sign_in, report
):
    first = receive("Is my order ready?")
    page = sign_in()
    open_conversation(page, first.conversation_id, showing="Is my order ready?")
    message_id, outbound = send_reply(page, "Yes, it is at the front desk.")
    expect(outbound.locator(".status-mark")).to_have_text("Queued")
    stored = Message.objects.get(pk=message_id)
    # The dummy task backend sends nothing: the message stays queued until Twilio "calls".
    assert (stored.direction, stored.status) == (Direction.OUTBOUND, MessageStatus.QUEUED)

    sid = twilio_payloads.message_sid()
    delivered = f'{MESSAGES}[data-message-id="{message_id}"][data-status="delivered"]'
    watch(page, "delivered", f"document.querySelector({json.dumps(delivered)}) !== null")
    sent = post_status(asgi_live_server, message_id, "delivered", sid=sid)
    to_mark = latency(page, "delivered", sent)
    report("status_callback_to_mark_ms", to_mark)
    assert to_mark < LIVE_BUDGET_MS
    expect(outbound.locator(".status-mark")).to_have_text("Delivered")
    assert Message.objects.get(pk=message_id).provider_message_id == sid

    # A second reply fails at Twilio: marked failed live, with a way to send it again.
    second_id, second = send_reply(page, "Second try at the desk?")
    post_status(
        asgi_live_server,
        second_id,
        "failed",
        sid=twilio_payloads.message_sid(),
        error_code="30003",
        error_message="Unreachable destination handset",
    )
    expect(second).to_have_attribute("data-status", "failed", timeout=LIVE_BUDGET_MS)
    expect(second.locator(".status-mark")).to_have_text("Failed")
    second.get_by_role("button", name="Retry").click()
    expect(second).to_have_attribute("data-status", "queued")
    expect(second.get_by_role("button", name="Retry")).to_have_count(0)
    assert Message.objects.get(pk=second_id).status == MessageStatus.QUEUED
    assert_not_reloaded(page)


def test_two_signed_in_people_see_each_others_replies_live(sign_in, casey, dana, report):
    first = receive("Can someone call me back?")
    casey_page = sign_in(casey)
    dana_page = sign_in(dana)
    for page in (casey_page, dana_page):
        open_conversation(page, first.conversation_id, showing="Can someone call me back?")

    watch(dana_page, "from casey", message_with_text("Casey here, calling in 5."))
    box = casey_page.get_by_label("Type a message")
    box.fill("Casey here, calling in 5.")
    pressed = time.time() * 1000
    box.press("Enter")
    to_other = latency(dana_page, "from casey", pressed)
    report("reply_to_other_browser_ms", to_other)
    assert to_other < LIVE_BUDGET_MS

    dana_page.get_by_label("Type a message").fill("Thanks Casey, I will follow up by email.")
    dana_page.get_by_label("Type a message").press("Enter")
    expect(casey_page.locator(MESSAGES).filter(has_text="I will follow up by email")).to_be_visible(
        timeout=LIVE_BUDGET_MS
    )

    for page in (casey_page, dana_page):
        # Each reply once on each screen: the sender's copy (API answer) and the pushed
        # event are the same message, not two.
        for text in ("Casey here", "Thanks Casey"):
            expect(page.locator(MESSAGES).filter(has_text=text)).to_have_count(1)
        assert_not_reloaded(page)
    senders = Message.objects.filter(direction=Direction.OUTBOUND).values_list(
        "sent_by__username", flat=True
    )
    assert sorted(senders) == ["casey", "dana"]


def test_a_reply_never_shows_twice_while_its_pushed_copy_races_the_api_answer(sign_in):
    first = receive("Can someone call me back?")
    page = sign_in()
    open_conversation(page, first.conversation_id, showing="Can someone call me back?")
    reply = "Calling you in five minutes."
    copies = f"[...document.querySelectorAll({json.dumps(MESSAGES)})]" + (
        f".filter((node) => node.textContent.includes({json.dumps(reply)})).length"
    )
    watch(page, "shown twice", f"{copies} > 1")

    page.get_by_label("Type a message").fill(reply)
    page.get_by_label("Type a message").press("Enter")

    # Hatch publishes the new message when it commits, before the API has answered, so the
    # event can overtake the answer; the page must still show one bubble, even briefly.
    stored = page.locator(f'{MESSAGES}[data-status="queued"]').filter(has_text=reply)
    expect(stored).to_have_count(1)
    expect(page.locator(MESSAGES).filter(has_text=reply)).to_have_count(1)
    page.wait_for_timeout(300)
    twice_at = page.evaluate("() => window.__hatchSeen?.['shown twice'] ?? null")
    assert twice_at is None, "the reply showed as two bubbles (pending and pushed) for a moment"


def test_page_reconnects_after_a_server_restart_and_catches_up(asgi_live_server, sign_in, report):
    first = receive("Before the restart", sender=CUSTOMER)
    page = sign_in()
    open_conversation(page, first.conversation_id, showing="Before the restart")
    inbox = page.locator("#inbox")

    asgi_live_server.stop()
    expect(inbox).not_to_have_attribute("data-live", "connected")
    # Written while no server runs: no event can announce it; the page must fetch it.
    receive("Written while the server was down", sender=CUSTOMER)
    watch(page, "connected", "document.querySelector('#inbox').dataset.live === 'connected'")
    starting = time.time() * 1000
    asgi_live_server.start()
    # Posted as soon as the server answers: the page may not have reconnected yet.
    post_inbound_sms(asgi_live_server, "Sent right after the restart", sender=OTHER_CUSTOMER)

    # From starting the server (about 0.7 s to boot) until the page is live again.
    report("restart_to_connected_ms", latency(page, "connected", starting, RECONNECT_WAIT_MS))
    expect(inbox).to_have_attribute("data-live", "connected")
    expect(
        page.locator(MESSAGES).filter(has_text="Written while the server was down")
    ).to_be_visible()
    newcomer = page.locator(CONVERSATIONS).first
    expect(newcomer).to_contain_text("Sent right after the restart")
    expect(newcomer.locator(".unread-badge")).to_have_text("1")
    expect(page.locator(CONVERSATIONS)).to_have_count(2)
    assert_not_reloaded(page)


def test_markup_in_a_pushed_message_shows_as_text(asgi_live_server, sign_in):
    first = receive("Hello")
    page = sign_in()
    open_conversation(page, first.conversation_id, showing="Hello")

    post_inbound_sms(asgi_live_server, XSS, sender=CUSTOMER)

    pushed = page.locator(MESSAGES).filter(has_text=XSS)
    expect(pushed).to_have_count(1, timeout=LIVE_BUDGET_MS)
    expect(pushed.locator("img")).to_have_count(0)
    preview = page.locator(CONVERSATIONS).first
    expect(preview).to_contain_text(XSS)
    expect(preview.locator("img")).to_have_count(0)
    # An onerror handler runs as soon as the image fails to load; give it a moment to.
    page.wait_for_timeout(200)
    # No alert: the open_browser fixture fails the test on any dialog.


# Opens a websocket to the inbox from the page and reports how it went: open and answered
# a ping, or closed (code) without opening.
PROBE_WEBSOCKET = """() => new Promise((resolve) => {
    const socket = new WebSocket(`ws://${location.host}/ws/inbox/`);
    let opened = false;
    socket.onopen = () => {
        opened = true;
        socket.send(JSON.stringify({ type: "ping" }));
    };
    socket.onmessage = (event) => {
        const data = JSON.parse(event.data);
        if (data.type === "pong") {
            socket.close();
            resolve({ opened, reply: data.type });
        }
    };
    socket.onclose = (event) => resolve({ opened, code: event.code });
    setTimeout(() => resolve({ opened, timedOut: true }), 5000);
})"""


def test_websocket_refuses_anonymous_visitors_and_accepts_a_signed_in_user(open_browser, sign_in):
    anonymous = open_browser()
    anonymous.goto("/accounts/login/")
    refused = anonymous.evaluate(PROBE_WEBSOCKET)
    # Channels closes before accepting with 4401; daphne turns that into a refused
    # handshake (HTTP 403), which a browser reports as an abnormal close, 1006.
    assert refused["opened"] is False
    assert refused.get("code") in (1006, 4401)

    page = sign_in()
    assert page.evaluate(PROBE_WEBSOCKET) == {"opened": True, "reply": "pong"}
