"""A team working one inbox, in real Chromium windows side by side (issue 13).

Two teammates are signed in, each in their own browser context, on Hatch served by daphne
(testing.live_server): what one does reaches the other over the inbox's websocket, the way
production delivers it, without a reload. Data is set up through the services and the ORM;
everything a person does goes through the page.

Without Chromium at /usr/bin/chromium these tests fail; they never skip.
"""

import re
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from contacts import services as contact_services
from conversations import services as conversation_services
from conversations.models import Activity, ActivityKind, Conversation, Note, SavedReply
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Direction, Message
from messaging.tests import twilio_payloads
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory
from testing import live_server
from testing.browser import assert_accessible, browser_windows

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROW_PHONE = {"width": 360, "height": 740}
HATCH_NUMBER = twilio_payloads.HATCH_NUMBER
CUSTOMER = "+14155550123"
OTHER_CUSTOMER = "+12125550147"
THIRD_CUSTOMER = "+13105550199"
# What "live" means here: a teammate's change on the other screen within this.
LIVE_MS = 3_000
WAIT_MS = 5_000

# Replaces window.Notification before the page's scripts run: each notification shown is
# recorded in window.__notifications (title, body), the permission starts as PERMISSION,
# and asking for it grants it.
NOTIFICATION_SPY = """
(() => {
  window.__notifications = [];
  window.__permissionAsked = 0;
  class RecordedNotification extends EventTarget {
    static permission = "PERMISSION";
    static requestPermission() {
      window.__permissionAsked += 1;
      RecordedNotification.permission = "granted";
      return Promise.resolve("granted");
    }
    constructor(title, options = {}) {
      super();
      window.__notifications.push({ title, body: options.body, tag: options.tag });
      (window.__shown ??= []).push(this);
    }
    close() {}
  }
  window.Notification = RecordedNotification;
})();
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asgi_server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture(autouse=True)
def no_team_events_from_the_test_process(monkeypatch):
    """As no_events_from_the_test_process, for what conversations publishes (activity,
    notes) when a test sets data up through its services."""
    monkeypatch.setattr("conversations.live.publish_on_commit", lambda build, group=None: None)


@pytest.fixture
def asgi_live_server(transactional_db):
    with live_server.for_test_database() as server:
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
    """Sign a teammate in, in a browser context of their own, and return their live inbox.

    ``notifications``: the context grants the notification permission, and the page's
    Notification is a spy (NOTIFICATION_SPY) that records what would have been shown;
    ``spy``: the spy alone, its permission not asked for yet.
    """

    def sign_in(user=None, *, viewport=DESKTOP, notifications=False, spy=False) -> Page:
        user = user or casey
        page = open_browser(viewport)
        if spy:
            page.context.add_init_script(NOTIFICATION_SPY.replace("PERMISSION", "default"))
        if notifications:
            page.context.grant_permissions(["notifications"])
            page.context.add_init_script(NOTIFICATION_SPY.replace("PERMISSION", "granted"))
        page.goto("/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#inbox")).to_have_attribute("data-ready", "true")
        expect(page.locator("#inbox")).to_have_attribute("data-live", "connected")
        expect(conversation_list(page)).to_have_attribute("aria-busy", "false")
        # Set once: a reload would drop it.
        page.evaluate("() => { window.__samePage = true; }")
        return page

    return sign_in


def receive(body, *, sender=CUSTOMER):
    message, _ = services.message_receive(
        event=InboundMessage(from_contact=sender, to_contact=HATCH_NUMBER, body=body)
    )
    return message


def post_inbound_sms(server, body: str, *, sender=CUSTOMER) -> None:
    """An inbound SMS as Twilio posts it to the server (signed), so that every page hears."""
    params = twilio_payloads.inbound_sms(body=body, from_=sender, to=HATCH_NUMBER)
    url = server.url + twilio_payloads.INBOUND_PATH
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


def conversation_list(page: Page):
    return page.get_by_role("list", name="Conversations")


def row(page: Page, conversation_id):
    return conversation_list(page).locator(f'[data-conversation-id="{conversation_id}"]')


def thread(page: Page):
    return page.get_by_role("list", name="Messages")


def team_bar(page: Page):
    return page.locator("#team-bar")


def assignee_button(page: Page):
    return team_bar(page).get_by_role("button", name=re.compile("^Assigned to"))


def open_conversation(page: Page, conversation_id) -> None:
    row(page, conversation_id).click()
    expect(page).to_have_url(re.compile(rf"\?c={conversation_id}$"))
    expect(team_bar(page)).to_be_visible()


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.__samePage === true"), "the page was reloaded"


def assert_no_sideways_scroll(page: Page, where: str) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{where}: the page scrolls sideways by {overflow}px"


def status_filter(page: Page, name: str):
    return page.get_by_role("group", name="Status").get_by_role("button", name=name, exact=True)


def test_assigning_closing_and_reopening_show_live_on_a_teammates_screen(sign_in, casey, dana):
    first = receive("Can someone call me back?")
    casey_page = sign_in(casey)
    dana_page = sign_in(dana)
    for page in (casey_page, dana_page):
        expect(status_filter(page, "Open")).to_have_attribute("aria-pressed", "true")
        expect(row(page, first.conversation_id)).to_be_visible()
    open_conversation(casey_page, first.conversation_id)

    assign = team_bar(casey_page).get_by_role("button", name=re.compile("^Assigned to"))
    expect(assign).to_have_accessible_name(re.compile("Assigned to: Nobody"))
    assign.click()
    menu = casey_page.get_by_role("menu", name="Assign to")
    expect(menu).to_be_visible()
    menu.get_by_role("menuitem", name="Assign to me").click()

    expect(assign).to_have_accessible_name(re.compile("Assigned to: Me"))
    expect(row(dana_page, first.conversation_id).locator(".assignee-mark")).to_have_attribute(
        "title", "Assigned to Casey Jones", timeout=LIVE_MS
    )
    expect(thread(casey_page).locator(".activity-line")).to_contain_text(
        ["Casey Jones self-assigned this"]
    )
    assert Conversation.objects.get(pk=first.conversation_id).assignee == casey

    # Dana has it open too: the activity line and the header follow there as well.
    open_conversation(dana_page, first.conversation_id)
    expect(thread(dana_page).locator(".activity-line")).to_contain_text(
        ["Casey Jones self-assigned this"]
    )

    casey_page.get_by_role("button", name="Close this conversation").click()
    expect(row(dana_page, first.conversation_id)).to_have_count(0, timeout=LIVE_MS)
    expect(row(casey_page, first.conversation_id)).to_have_count(0)
    expect(team_bar(dana_page).locator(".team-state")).to_have_text("Closed", timeout=LIVE_MS)
    expect(thread(dana_page).locator(".activity-line")).to_contain_text(
        ["Casey Jones self-assigned this", "Casey Jones closed this"], timeout=LIVE_MS
    )
    expect(dana_page.locator("#list-status")).to_have_text("No open conversations.")
    assert Conversation.objects.get(pk=first.conversation_id).state == "closed"

    casey_page.get_by_role("button", name="Reopen this conversation").click()
    expect(row(dana_page, first.conversation_id)).to_be_visible(timeout=LIVE_MS)
    expect(team_bar(dana_page).locator(".team-state")).to_have_text("Open")
    assert Conversation.objects.get(pk=first.conversation_id).state == "open"

    # The Closed tab lists what was closed; All lists everything.
    casey_page.get_by_role("button", name="Close this conversation").click()
    expect(row(dana_page, first.conversation_id)).to_have_count(0, timeout=LIVE_MS)
    status_filter(dana_page, "Closed").click()
    expect(row(dana_page, first.conversation_id)).to_contain_text("Closed")
    status_filter(dana_page, "All").click()
    expect(row(dana_page, first.conversation_id)).to_be_visible()
    for page in (casey_page, dana_page):
        assert_not_reloaded(page)


def test_mine_unassigned_and_label_filters_narrow_the_list(sign_in, casey, dana):
    from team.models import Label

    mine = receive("Mine, please", sender=CUSTOMER)
    nobodys = receive("Anyone there?", sender=OTHER_CUSTOMER)
    labelled = receive("Billing question", sender=THIRD_CUSTOMER)
    conversation_services.conversation_change(
        Conversation.objects.get(pk=mine.conversation_id), actor=casey, assignee=casey.pk
    )
    Label.objects.create(name="VIP", colour="#dc2626")
    conversation_services.conversation_change(
        Conversation.objects.get(pk=labelled.conversation_id),
        actor=casey,
        assignee=dana.pk,
        labels=["VIP"],
    )
    page = sign_in(casey)
    links = conversation_list(page).get_by_role("link")
    expect(links).to_have_count(3)
    expect(row(page, labelled.conversation_id).locator(".label-chip")).to_have_text("VIP")

    page.get_by_role("button", name="Mine", exact=True).click()
    expect(links).to_have_count(1)
    expect(row(page, mine.conversation_id)).to_be_visible()

    page.get_by_role("button", name="Unassigned", exact=True).click()
    expect(links).to_have_count(1)
    expect(row(page, nobodys.conversation_id)).to_be_visible()
    expect(page.get_by_role("button", name="Mine", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )

    page.get_by_role("button", name="Unassigned", exact=True).click()
    page.get_by_label("Filter by label").select_option("VIP")
    expect(links).to_have_count(1)
    expect(row(page, labelled.conversation_id)).to_be_visible()

    # Labelled from the thread: the label filter follows.
    page.get_by_label("Filter by label").select_option("")
    expect(links).to_have_count(3)
    open_conversation(page, nobodys.conversation_id)
    team_bar(page).get_by_role("button", name="Labels").click()
    page.get_by_role("menu", name="Labels").get_by_role("menuitemcheckbox", name="VIP").click()
    expect(row(page, nobodys.conversation_id).locator(".label-chip")).to_have_text("VIP")
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu", name="Labels")).to_be_hidden()
    labels = Conversation.objects.get(pk=nobodys.conversation_id).labels.values_list(
        "name", flat=True
    )
    assert list(labels) == ["VIP"]


def test_a_saved_reply_fills_in_the_contact_and_the_agent(sign_in, casey):
    contact_services.contact_create(name="Ada Lovelace", first_name="Ada", phones=[CUSTOMER])
    SavedReply.objects.create(
        title="Greeting",
        body='Hi {{contact.first_name|default:"there"}}, this is {{agent.first_name}} from Hatch.',
        created_by=casey,
    )
    SavedReply.objects.create(title="Closing time", body="We close at 6pm.", created_by=casey)
    first = receive("Hello?")
    page = sign_in(casey)
    open_conversation(page, first.conversation_id)

    box = page.get_by_label("Type a message")
    box.press("/")
    dialog = page.get_by_role("dialog", name="Saved replies")
    expect(dialog).to_be_visible()
    search = dialog.get_by_label("Search saved replies")
    expect(search).to_be_focused()
    expect(dialog.locator(".saved-reply")).to_have_count(2)
    search.fill("greet")
    expect(dialog.locator(".saved-reply")).to_have_count(1)
    expect(dialog.locator(".saved-reply")).to_contain_text("Hi Ada, this is Casey from Hatch.")
    search.press("Enter")

    expect(dialog).to_be_hidden()
    expect(box).to_have_value("Hi Ada, this is Casey from Hatch.")
    expect(box).to_be_focused()
    box.press("Enter")
    reply = thread(page).locator('[data-direction="outbound"]')
    expect(reply.locator(".bubble")).to_have_text("Hi Ada, this is Casey from Hatch.")
    # Under the bubble: the teammate who sent it.
    expect(reply.locator(".message-sender")).to_have_text("Casey Jones")
    expect(reply).to_have_attribute("data-status", "queued")
    stored = Message.objects.get(direction=Direction.OUTBOUND)
    assert stored.body == "Hi Ada, this is Casey from Hatch."
    assert stored.sent_by == casey

    # The button opens it too; closing without a choice leaves the box as it was.
    page.get_by_role("button", name="Saved replies").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(box).to_have_value("")


def test_a_note_mentioning_a_teammate_notifies_them_and_is_never_sent(sign_in, casey, dana):
    first = receive("My parcel never came.")
    casey_page = sign_in(casey)
    dana_page = sign_in(dana, notifications=True)
    # Notifications granted: the page does not ask again.
    expect(dana_page.get_by_role("button", name="Turn on notifications")).to_be_hidden()
    open_conversation(casey_page, first.conversation_id)
    open_conversation(dana_page, first.conversation_id)

    casey_page.get_by_role("group", name="Write").get_by_role("button", name="Note").click()
    box = casey_page.get_by_label("Write an internal note")
    expect(box).to_be_focused()
    box.press_sequentially("@da")
    option = casey_page.get_by_role("option", name=re.compile("Dana Scully"))
    expect(option).to_be_visible()
    expect(option).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("@dana ")
    box.press_sequentially("can you check with the courier?")
    box.press("Enter")

    note = thread(casey_page).locator(".note")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Internal note")
    expect(note.locator(".mention")).to_have_text("@dana")
    expect(box).to_have_value("")

    # Dana: the note in the open thread, a toast and a desktop notification.
    expect(thread(dana_page).locator(".note")).to_contain_text(
        "@dana can you check with the courier?", timeout=LIVE_MS
    )
    expect(dana_page.locator("#toast")).to_contain_text("Casey Jones mentioned you")
    dana_page.wait_for_function("() => window.__notifications.length > 0", timeout=LIVE_MS)
    shown = dana_page.evaluate("() => window.__notifications")
    assert shown[0]["title"] == "Casey Jones mentioned you"
    assert "can you check with the courier?" in shown[0]["body"]

    # Only a note: nothing was sent and no bubble looks like one.
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    expect(thread(casey_page).locator('[data-direction="outbound"]')).to_have_count(0)
    stored = Note.objects.get()
    assert stored.body == "@dana can you check with the courier?"
    assert list(stored.mentions.all()) == [dana]

    # Back to Reply: the box sends again.
    casey_page.get_by_role("group", name="Write").get_by_role("button", name="Reply").click()
    casey_page.get_by_label("Type a message").fill("We are looking into it.")
    casey_page.get_by_label("Type a message").press("Enter")
    expect(thread(casey_page).locator('[data-direction="outbound"]')).to_have_count(1)


def test_unread_is_each_teammates_own(sign_in, casey, dana, asgi_live_server):
    first = receive("Are you open on Sunday?")
    casey_page = sign_in(casey)
    dana_page = sign_in(dana, notifications=True)
    for page in (casey_page, dana_page):
        expect(row(page, first.conversation_id)).to_have_class(re.compile("is-unread"))
        expect(row(page, first.conversation_id).locator(".unread-badge")).to_have_text("1")
        expect(page).to_have_title(re.compile(r"^\(1\) "))

    open_conversation(casey_page, first.conversation_id)
    expect(row(casey_page, first.conversation_id)).not_to_have_class(re.compile("is-unread"))
    expect(casey_page).not_to_have_title(re.compile(r"^\(\d+\)"))

    # A new message reaches both; Casey is reading it, Dana is not.
    post_inbound_sms(asgi_live_server, "Or Saturday?", sender=CUSTOMER)
    expect(thread(casey_page).locator(".message-inbound")).to_have_count(2, timeout=LIVE_MS)
    expect(row(dana_page, first.conversation_id).locator(".unread-badge")).to_have_text(
        "2", timeout=LIVE_MS
    )
    expect(row(dana_page, first.conversation_id)).to_have_class(re.compile("is-unread"))
    expect(dana_page).to_have_title(re.compile(r"^\(2\) "))
    expect(row(casey_page, first.conversation_id).locator(".unread-badge")).to_be_hidden()
    # Nobody has it: Dana is notified of the new message.
    shown = dana_page.evaluate("() => window.__notifications")
    assert [(item["title"], item["body"]) for item in shown] == [
        ("New message from +1 (415) 555-0123", "Or Saturday?")
    ]

    # Casey's reading is Casey's: after a reload, Dana's count still stands.
    dana_page.reload()
    expect(row(dana_page, first.conversation_id).locator(".unread-badge")).to_have_text("2")

    # Clicking the notification opens the conversation (and Dana reads it).
    dana_page.goto("/")
    expect(dana_page.locator("#inbox")).to_have_attribute("data-live", "connected")
    post_inbound_sms(asgi_live_server, "Hello?", sender=CUSTOMER)
    dana_page.wait_for_function("() => window.__shown?.length > 0", timeout=LIVE_MS)
    dana_page.evaluate("() => window.__shown[0].dispatchEvent(new Event('click'))")
    expect(dana_page).to_have_url(re.compile(rf"\?c={first.conversation_id}$"))
    expect(row(dana_page, first.conversation_id).locator(".unread-badge")).to_be_hidden()


def test_a_second_tab_follows_what_was_read_in_the_first(sign_in, casey):
    first = receive("Is the shop open?")
    reading = sign_in(casey)
    other_tab = sign_in(casey)
    expect(row(other_tab, first.conversation_id).locator(".unread-badge")).to_have_text("1")
    open_conversation(reading, first.conversation_id)
    expect(row(other_tab, first.conversation_id).locator(".unread-badge")).to_be_hidden(
        timeout=LIVE_MS
    )


def test_internal_messages_sit_on_their_writers_side(sign_in, casey, dana):
    sent = services.message_send(to="Dana Scully", body="Lunch at noon?", user=casey)
    page = sign_in(dana)
    open_conversation(page, sent.conversation_id)
    theirs = thread(page).locator(f'[data-message-id="{sent.id}"]')
    expect(theirs).to_have_class(re.compile("message-inbound"))
    expect(theirs.locator(".message-sender")).to_have_text("Casey Jones")

    page.get_by_label("Type a message").fill("Noon works.")
    page.get_by_label("Type a message").press("Enter")
    mine = thread(page).locator(".message-outbound")
    expect(mine.locator(".bubble")).to_have_text("Noon works.")
    expect(mine.locator(".message-sender")).to_have_text("Dana Scully")
    expect(mine).to_have_attribute("data-status", "delivered")
    reply = Message.objects.get(body="Noon works.")
    # Written as Dana, to Casey, in the same conversation.
    assert (reply.from_contact, reply.to_contact) == ("Dana Scully", "Casey Jones")
    assert reply.conversation_id == sent.conversation_id
    assert reply.sent_by == dana


def test_the_inbox_works_from_the_keyboard_alone(sign_in, casey):
    oldest = receive("First one", sender=THIRD_CUSTOMER)
    middle = receive("Second one", sender=OTHER_CUSTOMER)
    newest = receive("Third one", sender=CUSTOMER)
    page = sign_in(casey)
    expect(conversation_list(page).get_by_role("link")).to_have_count(3)

    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"\?c={newest.conversation_id}$"))
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"\?c={middle.conversation_id}$"))
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"\?c={newest.conversation_id}$"))
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"\?c={middle.conversation_id}$"))

    page.keyboard.press("a")
    expect(
        team_bar(page).get_by_role("button", name=re.compile("^Assigned to"))
    ).to_have_accessible_name(re.compile("Assigned to: Me"))
    page.keyboard.press("e")
    expect(row(page, middle.conversation_id)).to_have_count(0)
    expect(team_bar(page).locator(".team-state")).to_have_text("Closed")
    middle_row = Conversation.objects.get(pk=middle.conversation_id)
    assert (middle_row.state, middle_row.assignee) == ("closed", casey)
    # The next one is where the closed one was.
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"\?c={oldest.conversation_id}$"))

    # Letters typed in the reply box are text, not shortcuts.
    page.get_by_label("Type a message").focus()
    page.keyboard.type("jk")
    expect(page.get_by_label("Type a message")).to_have_value("jk")
    expect(page).to_have_url(re.compile(rf"\?c={oldest.conversation_id}$"))
    page.get_by_label("Type a message").fill("")
    page.locator("#thread-scroll").focus()

    page.keyboard.press("/")
    expect(page.get_by_label("Search conversations")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Assign the open conversation to me")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The team bar's menus answer to the keyboard: Down opens, Enter chooses.
    snooze = team_bar(page).get_by_role("button", name="Snooze")
    snooze.focus()
    page.keyboard.press("ArrowDown")
    menu = page.get_by_role("menu", name="Snooze until")
    expect(menu.get_by_role("menuitem").first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name=re.compile("Tomorrow morning"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    expect(snooze).to_be_focused()
    expect(team_bar(page).locator(".team-state")).to_have_text(re.compile("^Snoozed until"))
    snoozed = Conversation.objects.get(pk=oldest.conversation_id)
    assert snoozed.state == "snoozed"
    assert snoozed.snoozed_until > timezone.now()
    assert Activity.objects.filter(
        conversation_id=oldest.conversation_id, kind=ActivityKind.SNOOZED
    ).exists()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_an_open_thread_with_notes_and_controls_passes_an_accessibility_audit(
    sign_in, casey, dana, viewport
):
    first = receive("Where is my order?")
    conversation = Conversation.objects.get(pk=first.conversation_id)
    conversation_services.conversation_change(conversation, actor=dana, assignee=casey.pk)
    conversation_services.note_create(
        conversation=conversation, author=dana, body="@casey this one is yours now"
    )
    page = sign_in(casey, viewport=viewport)
    open_conversation(page, first.conversation_id)
    expect(thread(page).locator(".note")).to_contain_text("this one is yours now")
    expect(thread(page).locator(".activity-line")).to_contain_text(
        ["Dana Scully assigned this to Casey Jones"]
    )
    name = f"the open thread at {viewport['width']}px"
    assert_accessible(page, context=name)
    assert_no_sideways_scroll(page, name)

    team_bar(page).get_by_role("button", name=re.compile("^Assigned to")).click()
    expect(page.get_by_role("menu", name="Assign to").get_by_role("menuitemradio")).to_have_count(3)
    assert_accessible(page, context=f"{name}, assignee menu open")
    assert_no_sideways_scroll(page, f"{name}, assignee menu open")
    page.keyboard.press("Escape")

    page.get_by_role("group", name="Write").get_by_role("button", name="Note").click()
    page.get_by_label("Write an internal note").press_sequentially("@d")
    expect(page.get_by_role("listbox", name="Teammates to mention")).to_be_visible()
    assert_accessible(page, context=f"{name}, writing a note with a mention")
    assert_no_sideways_scroll(page, f"{name}, writing a note")


def test_the_list_and_thread_fit_a_narrow_phone(sign_in, casey):
    from team.models import Label

    first = receive("A fairly long first message to see how the row wraps on a phone")
    Label.objects.create(name="Priority customer", colour="#2563eb")
    Label.objects.create(name="Billing", colour="#16a34a")
    conversation_services.conversation_change(
        Conversation.objects.get(pk=first.conversation_id),
        actor=casey,
        assignee=casey.pk,
        labels=["Priority customer", "Billing"],
    )
    page = sign_in(casey, viewport=NARROW_PHONE)
    expect(row(page, first.conversation_id).locator(".label-chip")).to_have_count(2)
    assert_no_sideways_scroll(page, "the list at 360px")
    assert_accessible(page, context="the list with its team filters at 360px")
    open_conversation(page, first.conversation_id)
    assert_no_sideways_scroll(page, "the thread at 360px")
    team_bar(page).get_by_role("button", name="Labels").click()
    expect(page.get_by_role("menu", name="Labels")).to_be_visible()
    assert_no_sideways_scroll(page, "the labels menu at 360px")


def test_an_email_thread_has_the_same_team_controls_notes_and_activity(sign_in, casey, dana):
    from emails import services as email_services

    email = email_services.email_send(
        to_email="pat@example.com", subject="Your order", body="It shipped.", user=casey
    )
    casey_page = sign_in(casey)
    dana_page = sign_in(dana)
    for page in (casey_page, dana_page):
        page.get_by_role("button", name="Emails").click()
        page.locator(f'[data-thread-id="{email.thread_id}"]').click()
        expect(page.locator("#email-team-bar")).to_be_visible()
    expect(casey_page.locator(".email-sent-by")).to_have_text("Sent by Casey Jones")

    bar = casey_page.locator("#email-team-bar")
    bar.get_by_role("button", name="Close this email thread").click()
    expect(bar.locator(".team-state")).to_have_text("Closed")
    expect(dana_page.locator("#email-team-bar .team-state")).to_have_text("Closed", timeout=LIVE_MS)
    expect(dana_page.locator("#thread-emails .activity-line")).to_contain_text(
        ["Casey Jones closed this"], timeout=LIVE_MS
    )

    box = casey_page.get_by_label("Internal note on this email thread")
    box.fill("Pat called: the parcel is at the depot.")
    box.press("Enter")
    expect(casey_page.locator("#thread-emails .note")).to_contain_text("Internal note")
    expect(dana_page.locator("#thread-emails .note")).to_contain_text(
        "the parcel is at the depot", timeout=LIVE_MS
    )
    assert Note.objects.get().conversation_id == email.thread_id
    assert Conversation.objects.get(pk=email.thread_id).state == "closed"


def test_notifications_are_turned_on_by_the_person_and_asked_for_once(sign_in, casey):
    page = sign_in(casey, spy=True)
    assert page.evaluate("() => window.__permissionAsked") == 0
    button = page.get_by_role("button", name="Turn on notifications")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("Notifications are on")
    assert page.evaluate("() => window.__permissionAsked") == 1


def test_snoozing_until_a_picked_time_moves_it_to_the_snoozed_list(sign_in, casey):
    first = receive("Call me next month")
    page = sign_in(casey)
    open_conversation(page, first.conversation_id)
    team_bar(page).get_by_role("button", name="Snooze").click()
    menu = page.get_by_role("menu", name="Snooze until")
    menu.get_by_role("menuitem", name="Pick a time…").click()
    dialog = page.get_by_role("dialog", name="Snooze until")
    expect(dialog).to_be_visible()
    when = dialog.get_by_label("Date and time")
    when.fill("2020-01-01T09:00")
    dialog.get_by_role("button", name="Snooze").click()
    expect(dialog.get_by_text("Choose a time in the future.")).to_be_visible()
    expect(when).to_have_attribute("aria-invalid", "true")

    # The browser's clock and zone are the machine's, as the server's are.
    later = timezone.localtime() + timedelta(days=40)
    when.fill(later.strftime("%Y-%m-%dT09:30"))
    dialog.get_by_role("button", name="Snooze").click()
    expect(dialog).to_be_hidden()
    expect(team_bar(page).locator(".team-state")).to_have_text(re.compile("^Snoozed until"))
    expect(row(page, first.conversation_id)).to_have_count(0)
    status_filter(page, "Snoozed").click()
    expect(row(page, first.conversation_id).locator(".state-badge")).to_have_text("Snoozed")
    snoozed = Conversation.objects.get(pk=first.conversation_id)
    assert snoozed.state == "snoozed"
    assert abs(snoozed.snoozed_until - later) < timedelta(days=1)
