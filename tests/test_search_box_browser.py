"""The inbox's search box as a person uses it, in a real Chromium: what they type finds
contacts, messages, emails and notes as they type, grouped, the words that matched marked;
a result opens where it lives, scrolled to and highlighted, however far back it is.

As in messaging/tests/test_inbox_browser.py, the page talks to a live server over the real
JSON API (GET /api/search on PostgreSQL's indexes), data is set up through the services,
and every test fails on a script error, an alert, or a Content-Security-Policy violation.
Debian's Chromium is required (the tests never skip).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts import services as contact_services
from conversations import services as conversation_services
from emails import services as email_services
from emails.events import InboundEmail
from emails.tests.inbound_posts import HATCH_ADDRESS
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Conversation
from messaging.tests.factories import DEFAULT_PASSWORD
from testing.browser import assert_accessible, browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
HATCH_NUMBER = "+15005550006"  # TWILIO_FROM_NUMBER in hatch.test_settings
ADA = "+14155550123"
GRACE = "+14155552671"
BOB = "+12125550147"
# Words the API uses with programs, which the box never shows people.
API_WORDS = re.compile(r"'[a-z_]+'|/api/|\bHTTP\b|\btsquery\b|syntax error", re.IGNORECASE)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_events_from_the_test_process(monkeypatch):
    """Data set up here publishes nothing: no page listens to the test process's channel
    layer (the live server is WSGI), and asgiref refuses to publish beside Playwright's
    event loop."""
    monkeypatch.setattr("messaging.live.publish_on_commit", lambda build_event: None)
    monkeypatch.setattr("emails.live.publish_on_commit", lambda build_event: None)
    monkeypatch.setattr("conversations.live.publish_on_commit", lambda build, group=None: None)


@pytest.fixture
def inbox(chromium, live_server, user):
    """Sign casey in through the real login form; return the inbox, its list loaded."""
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:

        def open_inbox(viewport=DESKTOP):
            page = sign_in_to_inbox(
                open_window(viewport), username=user.username, password=DEFAULT_PASSWORD
            )
            expect(page.get_by_role("list", name="Conversations")).to_have_attribute(
                "aria-busy", "false"
            )
            return page

        yield open_inbox


def receive(body, *, sender=ADA, at=None):
    message, _ = services.message_receive(
        event=InboundMessage(
            from_contact=sender, to_contact=HATCH_NUMBER, body=body, received_at=at
        )
    )
    return message


def name_contact(message, name):
    contact = Conversation.objects.get(pk=message.conversation_id).contact
    contact_services.contact_update(contact_id=contact.id, name=name)


def receive_email(*, subject, text, sender="ana@example.com", name="Ana Lima"):
    email, _ = email_services.email_receive(
        event=InboundEmail(
            from_address=sender, from_name=name, to=(HATCH_ADDRESS,), subject=subject, text=text
        )
    )
    return email


def add_note(message, *, author, body):
    conversation = Conversation.objects.get(pk=message.conversation_id)
    return conversation_services.note_create(conversation=conversation, author=author, body=body)


def search_box(page):
    return page.get_by_role("combobox", name="Search conversations")


def results(page):
    return page.get_by_role("listbox", name="Search results")


def group(page, heading):
    return results(page).get_by_role("group", name=heading)


def status(page):
    return page.locator("#search-status")


def announcement(page):
    """What a screen reader is told of the results."""
    return page.locator("#search-announcement")


def option_of(page, record):
    return results(page).locator(f'[role=option][data-result-id="{record.id}"]')


def thread(page):
    return page.get_by_role("list", name="Messages")


def test_typing_part_of_a_word_shows_what_matches_grouped_with_the_word_marked(inbox, user):
    message = receive("Can I get a refund for the kettle?")
    name_contact(message, "Ada Lovelace")
    receive('<img src=x onerror=alert(1)> refund: 2 < 3 & "now" it\'s late', sender=BOB)
    receive_email(subject="Refund for order 1234", text="The kettle arrived broken.")
    add_note(message, author=user, body="Refund approved by finance")
    contact_services.contact_create(name="Refugio Ramos", phones=["+13125550199"])
    receive("Nothing to see here", sender="+16175550111")
    page = inbox()

    search_box(page).press_sequentially("refu")

    expect(results(page)).to_be_visible()
    expect(search_box(page)).to_have_attribute("aria-expanded", "true")
    expect(search_box(page)).to_have_attribute("aria-controls", "search-results")
    expect(results(page).locator(".search-group-heading")).to_have_text(
        ["Contacts", "Messages", "Emails", "Notes"]
    )
    expect(group(page, "Contacts").get_by_role("option")).to_have_text([re.compile("Refugio")])
    messages = group(page, "Messages").get_by_role("option")
    expect(messages).to_have_count(2)
    expect(messages.filter(has_text="Ada Lovelace").locator("mark")).to_have_text(["refund"])
    expect(group(page, "Emails").get_by_role("option")).to_contain_text(["Refund for order 1234"])
    note = group(page, "Notes").get_by_role("option")
    expect(note.locator("mark")).to_have_text(["Refund"])
    expect(note).to_contain_text("approved by finance")
    # Every result says when.
    expect(results(page).get_by_role("option").locator("time")).to_have_count(5)
    # What a message holds is text, as it was typed, never markup run or drawn.
    expect(messages.filter(has_text="(212)")).to_contain_text('refund: 2 < 3 & "now" it\'s late')
    expect(results(page).locator("img")).to_have_count(0)
    expect(status(page)).to_be_empty()
    assert_accessible(page, context="with the search results open")


def test_part_of_a_phone_number_finds_the_contact_and_a_click_shows_them(inbox):
    message = receive("Hello from Grace", sender=GRACE)
    name_contact(message, "Grace Hopper")
    receive("Hello from someone else", sender=BOB)
    page = inbox()

    search_box(page).press_sequentially("5552671")

    contacts = group(page, "Contacts").get_by_role("option")
    expect(contacts).to_have_count(1)
    expect(contacts).to_contain_text("Grace Hopper")
    contacts.click()

    expect(results(page)).to_be_hidden()
    expect(page.locator("#thread-title")).to_have_text("Grace Hopper")
    panel = page.get_by_role("complementary", name="Grace Hopper")
    expect(panel.get_by_role("list", name="Phone numbers")).to_contain_text("+1 (415) 555-2671")


def test_a_message_deep_in_a_long_conversation_opens_scrolled_to_and_highlighted(inbox):
    start = timezone.now() - timedelta(hours=3)
    first = receive("The espresso machine arrived cracked", at=start)
    for number in range(1, 120):
        receive(f"Checking in again, update {number}", at=start + timedelta(minutes=number))
    page = inbox()

    search_box(page).press_sequentially("espresso")
    option_of(page, first).click()

    expect(page).to_have_url(re.compile(rf"\?c={first.conversation_id}$"))
    target = thread(page).locator(f'[data-message-id="{first.id}"]')
    expect(target).to_be_in_viewport()
    expect(target).to_have_class(re.compile(r"\bsearch-hit\b"))
    # Reached through the thread's own older pages: every message in between is there.
    expect(thread(page).locator("[data-message-id]")).to_have_count(120)
    expect(target).to_be_focused()
    # The highlight is brief.
    expect(target).not_to_have_class(re.compile(r"\bsearch-hit\b"), timeout=4_000)


def test_a_note_and_an_email_open_where_they_live_highlighted(inbox, user):
    email = receive_email(subject="Invoice 77 is overdue", text="Please pay by Friday.")
    message = receive("Here is my card number for the bill")
    note = add_note(message, author=user, body="Invoice 77 was paid by card")
    page = inbox()

    search_box(page).press_sequentially("invoice")
    option_of(page, note).click()

    expect(page).to_have_url(re.compile(rf"\?c={message.conversation_id}$"))
    shown_note = thread(page).locator(f'[data-note-id="{note.id}"]')
    expect(shown_note).to_have_class(re.compile(r"\bsearch-hit\b"))
    expect(shown_note).to_contain_text("Invoice 77 was paid by card")

    search_box(page).click()  # the results of what the box holds, again
    option_of(page, email).click()

    expect(page).to_have_url(re.compile(rf"\?view=emails&t={email.thread_id}$"))
    shown = page.locator(f'#thread-emails [data-email-id="{email.id}"]')
    expect(shown).to_have_class(re.compile(r"\bsearch-hit\b"))
    expect(shown).to_be_in_viewport()


def test_on_a_phone_the_results_fit_and_a_result_opens_the_thread(inbox):
    message = receive("Is the blue kettle back in stock?")
    page = inbox(PHONE)

    search_box(page).press_sequentially("kettle")

    expect(results(page)).to_be_in_viewport()
    widths = page.evaluate(
        "({page: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["page"] <= widths["window"], f"the page scrolls sideways: {widths}"
    assert_accessible(page, context="with the search results open at 390 px")
    option_of(page, message).click()

    shown = thread(page).locator(f'[data-message-id="{message.id}"]')
    expect(shown).to_be_in_viewport()
    expect(shown).to_have_class(re.compile(r"\bsearch-hit\b"))
    expect(page.locator("#search-form")).to_be_hidden()  # the thread has the screen


def test_keys_choose_and_open_a_result_and_escape_closes(inbox):
    older = receive("Where is my parcel?", at=timezone.now() - timedelta(hours=2))
    newer = receive("The parcel came, thanks", sender=BOB)
    page = inbox()
    box = search_box(page)

    box.press_sequentially("parcel")
    options = group(page, "Messages").get_by_role("option")
    expect(options).to_have_count(2)
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", f"search-message-{newer.id}")
    expect(option_of(page, newer)).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    box.press("ArrowDown")  # round to the first again
    box.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", f"search-message-{older.id}")
    expect(option_of(page, newer)).to_have_attribute("aria-selected", "false")

    box.press("Enter")

    expect(results(page)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page).to_have_url(re.compile(rf"\?c={older.conversation_id}$"))
    expect(thread(page).locator(f'[data-message-id="{older.id}"]')).to_have_class(
        re.compile(r"\bsearch-hit\b")
    )

    box.focus()
    expect(results(page)).to_be_visible()
    box.press("Escape")
    expect(results(page)).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value("parcel")  # Escape closes the results; the text stays

    box.press("ArrowDown")
    expect(results(page)).to_be_visible()
    page.locator("#thread-title").click()  # anywhere else
    expect(results(page)).to_be_hidden()


def test_enter_with_no_result_chosen_filters_the_conversation_list(inbox):
    receive("Where is my parcel?")
    receive("Do you open on Sundays?", sender=BOB)
    page = inbox()
    conversations = page.locator("#conversation-list [data-conversation-id]")
    expect(conversations).to_have_count(2)

    search_box(page).press_sequentially("parcel")
    expect(results(page)).to_be_visible()
    search_box(page).press("Enter")

    expect(results(page)).to_be_hidden()
    expect(conversations).to_have_count(1)
    expect(conversations).to_contain_text("Where is my parcel?")
    expect(page).not_to_have_url(re.compile(r"\?c="))


def test_more_brings_the_next_results_of_a_group(inbox):
    start = timezone.now() - timedelta(hours=1)
    for number in range(7):
        receive(f"Voucher code {number} please", at=start + timedelta(minutes=number))
    page = inbox()

    search_box(page).press_sequentially("voucher")
    messages = group(page, "Messages")
    expect(messages.locator("[data-result-id]")).to_have_count(5)
    more = messages.get_by_role("option", name="More messages")
    more.click()

    expect(messages.locator("[data-result-id]")).to_have_count(7)
    expect(more).to_have_count(0)
    expect(results(page)).to_be_visible()  # the list stays open for a choice
    expect(messages.locator("[data-result-id]")).to_contain_text(
        [f"Voucher code {number} please" for number in reversed(range(7))]
    )


def test_no_match_says_so_in_words(inbox):
    receive("Where is my parcel?")
    page = inbox()

    search_box(page).press_sequentially("zanzibar")

    expect(status(page)).to_have_text("No matches for “zanzibar”.")
    expect(results(page)).to_be_hidden()
    expect(page.locator("#search-popup")).to_be_visible()


def test_odd_search_syntax_never_shows_an_error(inbox):
    receive('He wrote "unclosed quotes" and or or')
    page = inbox()
    answers = []
    page.on("response", lambda response: "/api/search" in response.url and answers.append(response))

    for query in ['"unclosed', "- -", "or or", '"unclosed, -, or or', '-"" or -']:
        search_box(page).fill("")
        expect(announcement(page)).to_be_empty()
        search_box(page).press_sequentially(query)
        # Results, or "no matches": never an error.
        expect(announcement(page)).to_have_text(
            re.compile(
                r"^(\d+ results?: up and down to choose, Enter to open\."
                rf"|No matches for “{re.escape(query)}”\.)$"
            )
        )
        expect(page.locator("#search-popup")).to_be_visible()

    assert answers, "the box asked Hatch nothing"
    assert {response.status for response in answers} == {200}


def test_an_answer_hatch_refuses_shows_its_message(inbox):
    page = inbox()

    search_box(page).fill("refund " * 80)  # longer than a search may be

    expect(status(page)).to_contain_text("A search is at most 500 characters: shorten it.")
    expect(status(page)).not_to_have_text(re.compile(r"\bq:|Invalid input|No matches|HTTP"))
    expect(results(page)).to_be_hidden()


def test_typing_fast_asks_once_per_group_for_the_last_text(inbox):
    receive("Can I get a refund for the kettle?")
    page = inbox()
    asked = []
    page.on("request", lambda request: "/api/search" in request.url and asked.append(request.url))

    search_box(page).press_sequentially("kettle", delay=40)

    expect(group(page, "Messages").get_by_role("option")).to_have_count(1)
    page.wait_for_timeout(400)  # any late request would be on its way by now
    assert len(asked) == 4
    assert all("q=kettle" in url and "page_size=5" in url for url in asked)
    assert sorted(re.search(r"type=(\w+)", url)[1] for url in asked) == [
        "contact",
        "email",
        "message",
        "note",
    ]
