"""The saved replies on the Team page, in a real Chromium: an admin writes one with the
buttons that put in a contact's or their own name, reads the preview, fixes a variable
Hatch does not know, changes the reply and deletes it; an agent is kept off the page.

The page talks to a live server over the real JSON API; the test fails on a script error,
any dialog (a confirm() included) or a Content-Security-Policy violation. Debian's
Chromium is required (the test never skips).
"""

import re

import pytest
from playwright.sync_api import expect

from conversations.models import SavedReply
from conversations.services import saved_reply_create
from team.models import Role
from testing.browser import assert_accessible, browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"
# The page writes the typographic apostrophe (U+2019), as people's keyboards do.
CONTACT_FIRST_NAME = "Contact\u2019s first name"
CONTACT_FULL_NAME = "Contact\u2019s full name"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def grace(make_user):
    """The admin signed in: her name fills the preview's "Your" variables."""
    return make_user(
        "grace", role=Role.ADMIN, password=PASSWORD, first_name="Grace", last_name="Hopper"
    )


@pytest.fixture
def agent(make_user):
    return make_user("ben", password=PASSWORD, first_name="Ben", last_name="Okafor")


@pytest.fixture
def open_window(chromium, live_server):
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:
        yield open_window


def open_team_page(open_window, viewport) -> object:
    page = sign_in_to_inbox(open_window(viewport), username="grace", password=PASSWORD)
    page.goto("/team")
    expect(page.locator("#team")).to_have_attribute("data-ready", "true")
    return page


def insert(page, variable: str) -> None:
    """Press the Insert button that puts ``variable`` (its words) in at the cursor."""
    buttons = page.get_by_role("group", name="Insert")
    buttons.get_by_role("button", name=variable, exact=True).click()


def has_no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_an_admin_writes_previews_fixes_changes_and_deletes_a_saved_reply(open_window, grace):
    page = open_team_page(open_window, DESKTOP)
    replies = page.get_by_role("list", name="Saved replies")
    expect(page.locator("#replies-status")).to_have_text("No saved replies yet.")
    preview = page.locator("#reply-preview")
    expect(preview).to_have_text("The reply shows here as you write it.")

    # The buttons put each name in where the cursor is.
    page.get_by_label("Title", exact=True).fill("Welcome")
    body = page.get_by_label("Reply", exact=True)
    body.click()
    page.keyboard.type("Hi ! This is , from the front desk.")
    for _ in range(len(", from the front desk.")):
        page.keyboard.press("ArrowLeft")
    insert(page, "Your first name")
    page.keyboard.press("End")
    page.keyboard.type(" Your table is ready, {{contact.nickname}}.")
    page.keyboard.press("Home")
    for _ in range(len("Hi ")):
        page.keyboard.press("ArrowRight")
    insert(page, CONTACT_FIRST_NAME)
    expect(body).to_have_value(
        "Hi {{contact.first_name}}! This is {{agent.first_name}}, from the front desk. "
        "Your table is ready, {{contact.nickname}}."
    )

    # The preview fills in the sample contact and the admin, and marks what it cannot.
    expect(preview).to_have_text(
        "Hi Ada! This is Grace, from the front desk. Your table is ready, {{contact.nickname}}."
    )
    expect(preview.locator("mark")).to_have_text("{{contact.nickname}}")
    expect(page.get_by_text("Hatch cannot fill in the highlighted part")).to_be_visible()

    # Saving says, under the box and in words, what Hatch cannot fill in; nothing is saved.
    page.get_by_role("button", name="Save reply").click()
    body_error = page.locator("#reply-body-error")
    expect(body_error).to_have_text(
        "Hatch cannot fill in {{contact.nickname}}. Use the Insert buttons to put in the "
        "contact\u2019s name or yours."
    )
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_be_focused()
    assert not SavedReply.objects.exists()
    assert_accessible(page, context="saved replies with an error at 1280 px")

    # The admin selects the unknown variable and puts the contact's full name in its place.
    body.evaluate(
        """(box, tag) => {
            const start = box.value.indexOf(tag);
            box.setSelectionRange(start, start + tag.length);
        }""",
        "{{contact.nickname}}",
    )
    insert(page, CONTACT_FULL_NAME)
    expect(body_error).to_be_hidden()
    expect(body).not_to_have_attribute("aria-invalid", "true")
    expect(preview).to_have_text(
        "Hi Ada! This is Grace, from the front desk. Your table is ready, Ada Lovelace."
    )
    expect(preview.locator("mark")).to_have_count(0)
    expect(page.get_by_text("Hatch cannot fill in the highlighted part")).to_be_hidden()
    page.get_by_role("button", name="Save reply").click()

    expect(replies.get_by_role("listitem")).to_have_count(1)
    expect(page.locator("#replies-status")).to_have_text("Saved reply “Welcome” added.")
    expect(page.get_by_label("Title", exact=True)).to_have_value("")
    expect(body).to_have_value("")
    reply = SavedReply.objects.get()
    assert (reply.title, reply.body, reply.created_by) == (
        "Welcome",
        "Hi {{contact.first_name}}! This is {{agent.first_name}}, from the front desk. "
        "Your table is ready, {{contact.name}}.",
        grace,
    )
    assert_accessible(page, context="saved replies with one reply at 1280 px")

    # Edit: the reply comes back into the editor; defaults and spaced, curly-quoted tags
    # read as the server reads them.
    replies.get_by_role("button", name="Edit the saved reply Welcome").click()
    expect(page.get_by_role("heading", name="Edit “Welcome”")).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    expect(preview).to_have_text(
        "Hi Ada! This is Grace, from the front desk. Your table is ready, Ada Lovelace."
    )
    page.get_by_label("Title", exact=True).fill("Welcome back")
    body.fill('Hello {{agent.name|default:"us"}} here. {{ contact.first_name | default: “you” }}?')
    expect(preview).to_have_text("Hello Grace Hopper here. Ada?")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator("#replies-status")).to_have_text("Saved reply “Welcome back” changed.")
    expect(replies.get_by_role("listitem")).to_have_count(1)
    expect(replies.get_by_role("listitem")).to_contain_text("Welcome back")
    expect(replies.get_by_role("button", name="Edit the saved reply Welcome back")).to_be_focused()
    expect(page.get_by_role("heading", name="New saved reply")).to_be_visible()
    reply.refresh_from_db()
    assert (reply.title, reply.body) == (
        "Welcome back",
        'Hello {{agent.name|default:"us"}} here. {{ contact.first_name | default: “you” }}?',
    )

    # Delete: the page asks on the page itself; "Keep it" keeps it.
    replies.get_by_role("button", name="Delete the saved reply Welcome back").click()
    confirmation = replies.get_by_text("Delete “Welcome back”? Teammates can no longer pick it")
    expect(confirmation).to_be_visible()
    replies.get_by_role("button", name="Keep it").click()
    expect(confirmation).to_be_hidden()
    assert SavedReply.objects.count() == 1

    replies.get_by_role("button", name="Delete the saved reply Welcome back").click()
    replies.get_by_role("button", name="Delete saved reply").click()
    expect(replies.get_by_role("listitem")).to_have_count(0)
    expect(page.locator("#replies-status")).to_have_text(
        "Saved reply “Welcome back” deleted. No saved replies now."
    )
    assert not SavedReply.objects.exists()


def test_a_title_another_reply_has_is_refused_next_to_the_title(open_window, grace):
    saved_reply_create(title="Opening hours", body="We open at 9.", created_by=grace)
    page = open_team_page(open_window, DESKTOP)

    page.get_by_label("Title", exact=True).fill("opening HOURS")
    page.get_by_label("Reply", exact=True).fill("Nine to five.")
    page.get_by_role("button", name="Save reply").click()

    expect(page.locator("#reply-title-error")).to_have_text(
        "A saved reply is already called “Opening hours”. Choose another title."
    )
    expect(page.get_by_label("Title", exact=True)).to_be_focused()
    assert SavedReply.objects.count() == 1


def test_the_saved_replies_fit_a_phone_and_pass_the_audit(open_window, grace):
    saved_reply_create(
        title="Directions",
        body="Hi {{contact.first_name}}, the map: https://maps.example.com/"
        + "a-very-long-path-without-any-break-in-it" * 4
        + "\n\nSee you soon,\n{{agent.name}}",
        created_by=grace,
    )
    page = open_team_page(open_window, PHONE)
    replies = page.get_by_role("list", name="Saved replies")
    expect(replies.get_by_role("listitem")).to_have_count(1)

    page.get_by_role("heading", name="Saved replies").scroll_into_view_if_needed()
    assert has_no_horizontal_scroll(page)
    assert_accessible(page, context="saved replies at 390 px")

    replies.get_by_role("button", name="Edit the saved reply Directions").click()
    expect(page.locator("#reply-preview")).to_contain_text("Hi Ada, the map: https://maps.")
    expect(page.locator("#reply-preview")).to_contain_text("See you soon,\nGrace Hopper")
    replies.get_by_role("button", name="Delete the saved reply Directions").click()
    expect(replies.get_by_role("button", name="Delete saved reply")).to_be_visible()
    assert has_no_horizontal_scroll(page)
    assert_accessible(page, context="saved replies being edited, deletion asked, at 390 px")

    # The buttons are big enough for a thumb.
    button = page.get_by_role("button", name=CONTACT_FIRST_NAME, exact=True)
    assert button.bounding_box()["height"] >= 44


def test_an_agent_opening_the_team_page_gets_the_admins_only_page(open_window, agent):
    page = sign_in_to_inbox(open_window(DESKTOP), username="ben", password=PASSWORD)

    response = page.goto("/team")

    assert response.status == 403
    expect(page.get_by_role("heading", name="Only admins can open the Team page")).to_be_visible()
    expect(page.get_by_text(re.compile("manage labels and saved replies"))).to_be_visible()
    expect(page.get_by_role("list", name="Saved replies")).to_have_count(0)
