"""The inbox on every screen and for everyone, in a real Chromium: phones without sideways
scrolling and with thumb-sized buttons, long words and links that wrap, an empty reply
that says what is missing, errors in words people use that go once the text changes, a
failed message's reason in plain sight, the tab's title and icon, and no serious or
critical accessibility violation axe-core can find.

As in test_inbox_browser.py, the page talks to a live server over the real JSON API, data
is set up through the services, and every test fails on a script error, an alert, or a
Content-Security-Policy violation. Debian's Chromium is required (the tests never skip).
"""

import re

import pytest
from playwright.sync_api import expect

from contacts import services as contact_services
from emails import services as email_services
from emails.models import Email
from messaging import services
from messaging.events import InboundMessage, StatusChanged
from messaging.models import Conversation, Direction, Message, MessageStatus
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory
from team import services as team_services
from team.models import Role, Teammate
from testing.browser import assert_accessible, browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PHONE_WIDTHS = [360, 390, 430]
HATCH_NUMBER = "+15005550006"  # TWILIO_FROM_NUMBER in hatch.test_settings
OTHER_HATCH_NUMBER = "+14155550100"  # TWILIO_EXTRA_FROM_NUMBERS in hatch.test_settings
ADA = "+14155550123"
LONG_URL = "https://example.com/track?" + "&".join(f"p{i}=v{i:03d}" for i in range(33))[:274]
LONG_WORD = "x" * 2000
# What the API says to programs and the inbox never shows people.
API_WORDS = re.compile(r"'[a-z_]+'|/api/|\bPOST\b|to_email|from_email|TWILIO|SENDGRID")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def open_window(chromium, live_server):
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:
        yield open_window


@pytest.fixture
def sign_in(open_window, casey):
    """Sign casey in through the real login form; return the inbox page, its list loaded."""

    def sign_in(viewport=DESKTOP):
        page = sign_in_to_inbox(
            open_window(viewport), username=casey.username, password=DEFAULT_PASSWORD
        )
        expect(page.get_by_role("list", name="Conversations")).to_have_attribute(
            "aria-busy", "false"
        )
        return page

    return sign_in


def receive(body, *, sender=ADA, to=HATCH_NUMBER):
    message, _ = services.message_receive(
        event=InboundMessage(from_contact=sender, to_contact=to, body=body)
    )
    return message


def fail_delivery(message, *, code, reason):
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


def viewport(width):
    return {"width": width, "height": 800}


def thread(page):
    return page.get_by_role("list", name="Messages")


def open_conversation(page, conversation_id):
    page.locator(f'#conversation-list [data-conversation-id="{conversation_id}"]').click()
    expect(thread(page).locator("[data-message-id]")).not_to_have_count(0)


def open_email_thread(page, email):
    page.get_by_role("button", name="Emails").click()
    page.locator(f'#email-list [data-thread-id="{email.thread_id}"]').click()
    expect(page.locator("#thread-emails [data-email-id]")).not_to_have_count(0)


def assert_fits(page, what):
    """The page is no wider than the window: nothing scrolls sideways."""
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{what}: the page is {widths} wide"


# Every control the header draws, and the account's name, with where each is drawn; the
# header's actions row's own widths, to tell whether some of it is scrolled out of sight.
HEADER_LAYOUT = """() => {
  const drawn = (element) => element.getClientRects().length > 0;
  const controls = [...document.querySelectorAll(
    ".app-header a, .app-header button, .app-header .live-indicator, .app-header .account-name"
  )].filter(drawn).map((element) => {
    const box = element.getBoundingClientRect();
    const name = (element.textContent.trim() || element.title).replace(/\\s+/g, " ");
    const live = element.classList.contains("live-indicator");
    return {name, live, left: box.left, right: box.right, top: box.top, bottom: box.bottom};
  });
  const actions = document.querySelector(".app-header-actions");
  const accountName = document.querySelector(".account-name");
  return {
    controls,
    window: {width: window.innerWidth, height: window.innerHeight},
    actions: {scroll: actions.scrollWidth, client: actions.clientWidth},
    accountName: {scroll: accountName.scrollWidth, client: accountName.clientWidth,
                  textOverflow: getComputedStyle(accountName).textOverflow},
  };
}"""


def assert_header_whole(page, what):
    """Every header control is drawn inside the window, whole, apart from every other."""
    layout = page.evaluate(HEADER_LAYOUT)
    controls, window = layout["controls"], layout["window"]
    for control in controls:
        inside = control["left"] >= 0 and control["right"] <= window["width"]
        inside = inside and control["top"] >= 0 and control["bottom"] <= window["height"]
        assert inside, f"{what}: {control['name']!r} is at {control}, outside a {window} window"
    # A row that scrolls within itself hides the controls scrolled out of its view.
    assert layout["actions"]["scroll"] <= layout["actions"]["client"], (
        f"{what}: the header's actions scroll sideways: {layout['actions']}"
    )
    for index, one in enumerate(controls):
        for other in controls[index + 1 :]:
            overlap_x = min(one["right"], other["right"]) - max(one["left"], other["left"])
            overlap_y = min(one["bottom"], other["bottom"]) - max(one["top"], other["top"])
            assert overlap_x <= 0.5 or overlap_y <= 0.5, (
                f"{what}: {one['name']!r} ({one}) overlaps {other['name']!r} ({other})"
            )
    return layout


def buttons_and_links(layout):
    return [control for control in layout["controls"] if not control["live"]]


def assert_same_row(one, other, what):
    one_box, other_box = one.bounding_box(), other.bounding_box()
    one_middle = one_box["y"] + one_box["height"] / 2
    other_middle = other_box["y"] + other_box["height"] / 2
    assert abs(one_middle - other_middle) < 4, f"{what}: {one_box} and {other_box}"


def assert_thumb_sized(locator, what):
    box = locator.bounding_box()
    assert box is not None, f"{what} is not drawn"
    assert box["width"] >= 44 and box["height"] >= 44, f"{what} is {box}, under 44 x 44 px"


def assert_inside_window(page, locator, what):
    box = locator.bounding_box()
    width = page.evaluate("window.innerWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (
        f"{what} is at {box}, outside a window {width} px wide"
    )


# -------------------------------------------------------------------------- phones


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_every_inbox_view_fits_a_phone_and_its_buttons_fit_a_thumb(sign_in, casey, width):
    message = receive("Is my order ready?")
    email = email_services.email_send(
        to_email="pat@example.com", subject="Your order", body="It shipped.", user=casey
    )
    page = sign_in(viewport(width))

    assert_fits(page, "the list")
    for name in ("Conversations", "Emails", "Import contacts", "Compose email", "Sign out"):
        assert_thumb_sized(page.get_by_role("button", name=name, exact=True), name)
    assert_thumb_sized(page.get_by_role("button", name="New conversation"), "New conversation")
    expect(page.get_by_text("casey", exact=True)).to_be_visible()

    open_conversation(page, message.conversation_id)
    assert_fits(page, "an open SMS thread")
    for name in ("Send", "Attach pictures or files", "Back to conversations", "Contact"):
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_visible()
        assert_thumb_sized(button, name)

    page.get_by_role("button", name="Contact", exact=True).click()
    panel = page.locator("#contact-panel")
    expect(panel).to_be_visible()
    assert_fits(page, "the contact panel")
    assert_inside_window(page, panel, "the contact panel")
    assert_thumb_sized(panel.get_by_role("button", name="Close contact"), "Close contact")
    panel.get_by_role("button", name="Close contact").click()
    expect(panel).to_be_hidden()

    page.get_by_role("button", name="Back to conversations").click()
    page.get_by_role("button", name="New conversation").click()
    dialog = page.get_by_role("dialog", name="New conversation")
    expect(dialog).to_be_visible()
    assert_fits(page, "the new-conversation dialog")
    assert_inside_window(page, dialog, "the new-conversation dialog")
    assert_thumb_sized(dialog.get_by_role("button", name="Start conversation"), "Start")
    assert_thumb_sized(dialog.get_by_role("button", name="Close"), "Close")
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Compose email").click()
    dialog = page.get_by_role("dialog", name="Compose email")
    expect(dialog).to_be_visible()
    assert_fits(page, "the compose-email dialog")
    assert_inside_window(page, dialog, "the compose-email dialog")
    assert_thumb_sized(dialog.get_by_role("button", name="Send email"), "Send email")
    page.keyboard.press("Escape")

    open_email_thread(page, email)
    assert_fits(page, "an open email thread")
    for name in ("Reply", "Reply all", "Forward", "Back to emails"):
        assert_thumb_sized(page.get_by_role("button", name=name, exact=True), name)
    page.get_by_role("button", name="Back to emails").click()
    assert_fits(page, "the email list")


# -------------------------------------------------------------------------- the header

LONG_NAME_ADMIN = "bartholomew.featherstonehaugh"
ADMIN_HEADER_BUTTONS = (
    "Conversations",
    "Emails",
    "Turn on notifications",
    "Import contacts",
    "Compose email",
    "Sign out",
)


@pytest.fixture
def long_named_admin():
    """An admin (the fullest header: the Team link too) with a long name and username."""
    user = UserFactory(
        username=LONG_NAME_ADMIN, first_name="Bartholomew", last_name="Featherstonehaugh"
    )
    Teammate.objects.filter(user=user).update(role=Role.ADMIN)
    return user


@pytest.mark.parametrize("width", [1024, 1280, 1366, 1440, 390])
def test_the_whole_header_fits_an_admin_with_a_long_name_at_every_width(
    open_window, long_named_admin, width
):
    message = receive("Is my order ready?")
    team_services.label_create(name="Billing question")  # a wide label menu
    page = sign_in_to_inbox(
        open_window(viewport(width)), username=LONG_NAME_ADMIN, password=DEFAULT_PASSWORD
    )
    expect(page.get_by_role("list", name="Conversations")).to_have_attribute("aria-busy", "false")

    # Every control is there, by its name, with or without its words on screen.
    for name in ADMIN_HEADER_BUTTONS:
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Team", exact=True)).to_be_visible()
    layout = assert_header_whole(page, f"the inbox at {width} px")
    assert_fits(page, f"the inbox at {width} px")
    # The long name gives way: cut short with an ellipsis, whole for screen readers.
    account_name = layout["accountName"]
    assert account_name["textOverflow"] == "ellipsis"
    assert account_name["scroll"] > account_name["client"], account_name
    expect(page.locator(".account-name")).to_contain_text(LONG_NAME_ADMIN)

    if width > 720:  # phones have no keyboard shortcuts, and the list and thread take turns
        mine = page.get_by_role("button", name="Mine", exact=True)
        shortcuts = page.get_by_role("button", name="Keyboard shortcuts")
        assert_same_row(mine, shortcuts, f"Mine and the shortcuts button at {width} px")
        # An open conversation brings the contact panel beside it (from 1101 px), narrowing
        # the list; the header stays whole, the shortcuts button on Mine's row.
        open_conversation(page, message.conversation_id)
        assert_header_whole(page, f"an open conversation at {width} px")
        assert_fits(page, f"an open conversation at {width} px")
        assert_same_row(mine, shortcuts, f"Mine and the shortcuts button at {width} px")

        # Compose email's dialog takes the focus and gives it back: the header stays put
        # (the live indicator's words may change meanwhile).
        before = buttons_and_links(assert_header_whole(page, "before the compose-email dialog"))
        page.get_by_role("button", name="Compose email").click()
        expect(page.get_by_role("dialog", name="Compose email")).to_be_visible()
        under = assert_header_whole(page, "under the compose-email dialog")
        assert buttons_and_links(under) == before
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog", name="Compose email")).to_be_hidden()
        after = assert_header_whole(page, "after the compose-email dialog")
        assert buttons_and_links(after) == before


# -------------------------------------------------------------------------- long words


@pytest.mark.parametrize("width", [1440, 1024, 390])
def test_long_words_and_links_wrap_and_send_stays_in_reach(sign_in, casey, width):
    message = receive(f"See {LONG_URL}")
    receive(LONG_WORD)
    email = email_services.email_send(
        to_email="pat@example.com", subject="Links", body=f"{LONG_URL}\n{LONG_WORD}", user=casey
    )
    page = sign_in(viewport(width))
    open_conversation(page, message.conversation_id)
    expect(thread(page).locator(".bubble")).to_have_count(2)
    assert_fits(page, "bubbles with a long link and a long word")

    box = page.get_by_label("Type a message")
    send = page.get_by_role("button", name="Send", exact=True)
    box.fill(f"{LONG_URL} {LONG_WORD[:1000]}")
    assert_fits(page, "a long link and word typed in the reply box")
    expect(send).to_be_visible()
    assert_inside_window(page, send, "Send")
    send.click()
    reply = thread(page).locator('[data-direction="outbound"]')
    expect(reply).to_have_attribute("data-status", "queued")
    assert_fits(page, "the long reply, sent")
    assert Message.objects.get(direction=Direction.OUTBOUND).body.endswith(LONG_WORD[:1000])

    open_email_thread(page, email)
    expect(page.locator(".email-body")).to_contain_text(LONG_URL)
    assert_fits(page, "an email body with a long link and a long word")

    page.get_by_role("button", name="Reply", exact=True).click()
    dialog = page.get_by_role("dialog", name="Reply")
    dialog.get_by_label("Message").fill(LONG_WORD)
    assert_fits(page, "a long word typed in the email composer")
    send_email = dialog.get_by_role("button", name="Send email")
    assert_inside_window(page, send_email, "Send email")
    send_email.click()
    expect(dialog).to_be_hidden()
    assert Email.objects.filter(body=LONG_WORD).exists()


# -------------------------------------------------------------------------- empty replies


def test_an_empty_reply_says_what_is_missing_and_sends_nothing(sign_in):
    message = receive("Hello?")
    page = sign_in()
    open_conversation(page, message.conversation_id)
    box = page.get_by_label("Type a message")
    banner = page.locator("#reply-form-error")

    page.get_by_role("button", name="Send", exact=True).click()
    expect(banner).to_have_text("Write a message or attach a file first.")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "alert")

    box.fill("   \n  ")
    expect(banner).to_be_hidden()  # the text changed
    box.press("Enter")
    expect(banner).to_have_text("Write a message or attach a file first.")
    expect(thread(page).locator('[data-direction="outbound"]')).to_have_count(0)
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()

    box.press_sequentially("Yes")
    expect(banner).to_be_hidden()
    box.press("Enter")
    expect(thread(page).locator('[data-direction="outbound"]')).to_have_count(1)


def test_an_empty_email_says_what_is_missing_and_sends_nothing(sign_in):
    page = sign_in()
    page.get_by_role("button", name="Compose email").click()
    dialog = page.get_by_role("dialog", name="Compose email")
    dialog.get_by_label("To", exact=True).fill("pat@example.com")
    dialog.get_by_label("Subject").fill("Hello")
    dialog.get_by_label("Message").fill("   ")
    dialog.get_by_role("button", name="Send email").click()

    reason = dialog.locator("#email-body-error")
    expect(reason).to_have_text("Write a message first.")
    expect(dialog.get_by_label("Message")).to_have_attribute("aria-invalid", "true")
    assert not Email.objects.exists()

    dialog.get_by_label("Message").fill("Hi Pat")
    expect(reason).to_be_hidden()
    expect(dialog.get_by_label("Message")).not_to_have_attribute("aria-invalid", "true")


# -------------------------------------------------------------------------- errors in words


def test_an_error_banner_goes_once_the_text_changes_in_both_composers(sign_in, settings):
    message = receive("Hello?")
    page = sign_in()
    open_conversation(page, message.conversation_id)
    box = page.get_by_label("Type a message")
    banner = page.locator("#reply-form-error")
    box.fill("a" * 1601)
    box.press("Enter")
    expect(banner).to_have_text("The message is too long: at most 1,600 characters.")
    box.press("Backspace")
    expect(banner).to_be_hidden()

    # Hatch has no sending address for email: the server's refusal has no field of the
    # form to go under, so it is the form's banner.
    settings.SENDGRID_FROM_EMAIL = ""
    page.get_by_role("button", name="Compose email").click()
    dialog = page.get_by_role("dialog", name="Compose email")
    dialog.get_by_label("To", exact=True).fill("pat@example.com")
    dialog.get_by_label("Subject").fill("Hello")
    dialog.get_by_label("Message").fill("Hi Pat")
    dialog.get_by_role("button", name="Send email").click()
    email_banner = dialog.locator("#compose-email-form-error")
    expect(email_banner).to_have_text(
        "Hatch is not set up to send email yet: ask an admin to set it up."
    )
    dialog.get_by_label("Message").press_sequentially("!")
    expect(email_banner).to_be_hidden()


def test_the_same_fault_reads_the_same_in_both_composers_without_api_words(sign_in):
    page = sign_in()
    page.get_by_role("button", name="New conversation").click()
    sms = page.get_by_role("dialog", name="New conversation")
    sms.get_by_label("To", exact=True).fill("ada@@example.com")
    sms.get_by_label("Message").fill("Hello")
    sms.get_by_role("button", name="Start conversation").click()
    sms_reason = page.locator("#new-conversation-to-error")
    expect(sms_reason).to_have_text("“ada@@example.com” is not a valid email address.")
    expect(sms.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")

    # An address is for email: the dialog says where to write to it, not which endpoint.
    sms.get_by_label("To", exact=True).fill("ada@example.com")
    expect(sms_reason).to_be_hidden()
    sms.get_by_role("button", name="Start conversation").click()
    expect(sms_reason).to_have_text("That is an email address: write to it with Compose email.")
    sms.get_by_label("To", exact=True).fill("12345")
    sms.get_by_role("button", name="Start conversation").click()
    expect(sms_reason).to_have_text(
        "“12345” is not a phone number Hatch can text. Use international format, e.g. +14155552671."
    )
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Compose email").click()
    email = page.get_by_role("dialog", name="Compose email")
    email.get_by_label("To", exact=True).fill("ada@@example.com")
    email.get_by_label("Subject").fill("Hello")
    email.get_by_label("Message").fill("Hello")
    email.get_by_role("button", name="Send email").click()
    email_reason = page.locator("#email-to-error")
    expect(email_reason).to_have_text("“ada@@example.com” is not a valid email address.")
    for reason in (sms_reason, email_reason):
        assert not API_WORDS.search(reason.text_content())
    assert not Message.objects.exists()
    assert not Email.objects.exists()


def test_a_reply_hatch_may_not_send_says_why_in_words(sign_in, settings):
    # Ada wrote to a number Hatch no longer sends from.
    message = receive("Still there?", to=OTHER_HATCH_NUMBER)
    settings.TWILIO_EXTRA_FROM_NUMBERS = []
    page = sign_in()
    open_conversation(page, message.conversation_id)
    page.get_by_label("Type a message").fill("Yes")
    page.get_by_role("button", name="Send", exact=True).click()

    refused = thread(page).locator('[data-direction="outbound"]')
    expect(refused).to_have_attribute("data-status", "error")
    reason = refused.locator(".message-error")
    expect(reason).to_have_text(
        "Hatch cannot send from this number or address. Ask an admin which ones Hatch sends from."
    )
    assert not API_WORDS.search(reason.text_content())
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


# -------------------------------------------------------------------------- failures


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_failed_message_shows_its_reason_in_words_with_a_reachable_retry(sign_in, casey, size):
    message = services.message_send(to=ADA, body="Your parcel is out", user=casey)
    fail_delivery(message, code="30006", reason="Landline or unreachable carrier")
    page = sign_in(size)
    open_conversation(page, message.conversation_id)

    failed = thread(page).locator(f'[data-message-id="{message.id}"]')
    reason = failed.get_by_text("Not delivered: Landline or unreachable carrier (error 30006)")
    expect(reason).to_be_visible()  # not only on hover
    # Then Hatch's explanation of the code, once the table of reasons has come.
    expect(failed.locator(".failure-reason")).to_be_visible()
    retry = failed.get_by_role("button", name="Retry")
    expect(retry).to_have_accessible_description(
        re.compile(r"^Not delivered: Landline or unreachable carrier \(error 30006\) \w.+")
    )
    if size is PHONE:
        assert_thumb_sized(retry, "Retry")

    # Keyboard: Tab reaches Retry from the message history, and Enter presses it.
    page.locator("#thread-scroll").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if retry.evaluate("button => button === document.activeElement"):
            break
    expect(retry).to_be_focused()
    page.keyboard.press("Enter")
    expect(failed).to_have_attribute("data-status", "queued")
    expect(failed.locator(".message-error")).to_have_count(0)
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED


# -------------------------------------------------------------------------- title and icon


def test_the_tab_names_the_open_conversation(sign_in, casey):
    message = receive("Hello")
    contact_services.contact_update(
        contact_id=Conversation.objects.get(id=message.conversation_id).contact_id,
        name="Ada Lovelace",
    )
    email = email_services.email_send(
        to_email="pat@example.com", subject="Your order", body="It shipped.", user=casey
    )
    page = sign_in()
    # Before the name, the count of what casey has not read (the list's part of the title).
    expect(page).to_have_title(re.compile(r"^(\(\d+\) )?Hatch$"))

    open_conversation(page, message.conversation_id)  # now read
    expect(page).to_have_title("Ada Lovelace · Hatch")
    open_email_thread(page, email)
    expect(page).to_have_title("pat@example.com · Hatch")
    page.get_by_role("button", name="Conversations").click()
    expect(page).to_have_title("Ada Lovelace · Hatch")
    page.go_back()
    expect(page).to_have_title("pat@example.com · Hatch")
    page.go_back()  # the Emails view, no thread open
    expect(page).to_have_title("Hatch")


def test_pages_name_a_real_icon_and_request_no_missing_file(open_window, casey):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    page = open_window(DESKTOP)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    def icon_is_served():
        href = page.locator('link[rel="icon"]').get_attribute("href")
        response = page.request.get(href)
        assert response.status == 200, href
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert b"<svg" in response.body()

    page.goto("/accounts/login/")
    icon_is_served()
    sign_in_to_inbox(page, username=casey.username, password=DEFAULT_PASSWORD)
    icon_is_served()
    assert page.request.get("/favicon.ico").status == 200  # after the redirect

    page.goto("/admin/login/?next=/admin/")
    icon_is_served()
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile("/admin/$"))
    expect(page.locator("#content")).to_be_visible()
    icon_is_served()
    page.goto("/admin/messaging/message/")
    icon_is_served()
    assert missing == []


# -------------------------------------------------------------------------- accessibility


def test_the_open_thread_scrolls_by_keyboard_and_is_named(sign_in):
    message = receive("Hello")
    page = sign_in(PHONE)
    open_conversation(page, message.conversation_id)
    expect(page.get_by_role("heading", level=1, name="+1 (415) 555-0123")).to_be_visible()
    history = page.get_by_role("region", name="Message history")
    expect(history).to_have_attribute("tabindex", "0")
    history.focus()
    expect(history).to_be_focused()


@pytest.mark.parametrize("size", [{"width": 1280, "height": 800}, PHONE], ids=["1280", "390"])
def test_no_serious_accessibility_violation_on_any_screen(open_window, casey, size):
    message = receive("Is my order ready?")
    email = email_services.email_send(
        to_email="pat@example.com", subject="Your order", body="It shipped.", user=casey
    )
    failed = services.message_send(to=ADA, body="Your parcel is out", user=casey)
    fail_delivery(failed, code="30006", reason="Landline or unreachable carrier")
    width = size["width"]
    page = open_window(size)

    page.goto("/accounts/login/")
    assert_accessible(page, context=f"on the sign-in page at {width} px")
    sign_in_to_inbox(page, username=casey.username, password=DEFAULT_PASSWORD)
    expect(page.get_by_role("list", name="Conversations")).to_have_attribute("aria-busy", "false")
    assert_accessible(page, context=f"on the inbox list at {width} px")

    open_conversation(page, message.conversation_id)
    assert_accessible(page, context=f"on an open SMS thread at {width} px")

    if width < 1101:
        page.get_by_role("button", name="Contact", exact=True).click()
    expect(page.locator("#contact-details")).to_be_visible()
    assert_accessible(page, context=f"with the contact panel at {width} px")
    if width < 1101:
        page.get_by_role("button", name="Close contact").click()

    page.get_by_role("button", name="Compose email").click()
    expect(page.get_by_role("dialog", name="Compose email")).to_be_visible()
    assert_accessible(page, context=f"in the compose-email dialog at {width} px")
    page.keyboard.press("Escape")
    if width < 721:
        page.get_by_role("button", name="Back to conversations").click()
    page.get_by_role("button", name="New conversation").click()
    expect(page.get_by_role("dialog", name="New conversation")).to_be_visible()
    assert_accessible(page, context=f"in the new-conversation dialog at {width} px")
    page.keyboard.press("Escape")

    open_email_thread(page, email)
    assert_accessible(page, context=f"on an open email thread at {width} px")
