"""People in the inbox, in a real Chromium: the contact panel beside a thread (naming,
numbers and addresses, notes, consent, the whole history, merging), the contacts import,
and pictures sent by MMS from the reply box.

As in test_inbox_browser.py, the page talks to a live server over the real JSON API, data
is set up through the services, and every test fails on a script error, an alert, or a
Content-Security-Policy violation. Debian's Chromium is required (the tests never skip).
"""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from attachments.tests import samples
from contacts import services as contact_services
from contacts.models import Contact
from emails import services as email_services
from messaging import services
from messaging.delivery import sms_outbox
from messaging.events import InboundMessage
from messaging.models import Conversation, Direction, Message
from messaging.tests.factories import DEFAULT_PASSWORD
from testing.browser import browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 800}
HATCH_NUMBER = "+15005550006"  # TWILIO_FROM_NUMBER in hatch.test_settings
ADA = "+14155550123"
ADA_AT_WORK = "+12125550147"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_events_from_the_test_process"),
]


@pytest.fixture
def sign_in(chromium, live_server, casey):
    """Sign casey in through the real login form; return the inbox page."""
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:

        def sign_in(viewport=DESKTOP):
            page = open_window(viewport)
            return sign_in_to_inbox(page, username=casey.username, password=DEFAULT_PASSWORD)

        yield sign_in


def receive(body, *, sender=ADA):
    message, _ = services.message_receive(
        event=InboundMessage(from_contact=sender, to_contact=HATCH_NUMBER, body=body)
    )
    return message


def contact_of(message) -> Contact:
    return Conversation.objects.get(id=message.conversation_id).contact


def open_conversation(page, conversation_id):
    page.locator(f'#conversation-list [data-conversation-id="{conversation_id}"]').click()
    expect(
        page.get_by_role("list", name="Messages").locator("[data-message-id]")
    ).not_to_have_count(0)


def panel(page):
    return page.locator("#contact-panel")


def today() -> str:
    """Today as the page writes dates (2026-12-01), in this machine's time zone, which the
    browser shares."""
    return datetime.now().astimezone().date().isoformat()


def test_naming_a_contact_from_the_thread_puts_the_name_in_the_list(sign_in):
    message = receive("Is my order ready?")
    page = sign_in()
    open_conversation(page, message.conversation_id)
    item = page.locator(f'#conversation-list [data-conversation-id="{message.conversation_id}"]')
    expect(item.locator(".conversation-name")).to_have_text("+1 (415) 555-0123")

    expect(panel(page)).to_be_visible()
    expect(panel(page).get_by_role("heading", level=2)).to_have_text("No name yet")
    panel(page).get_by_role("button", name="Add a name").click()
    panel(page).get_by_label("Name", exact=True).fill("Ada Lovelace")
    panel(page).get_by_label("Name", exact=True).press("Enter")

    expect(panel(page).get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(item.locator(".conversation-name")).to_have_text("Ada Lovelace")
    expect(item.locator(".conversation-number")).to_have_text("+1 (415) 555-0123")
    expect(page.locator("#thread-title")).to_have_text("Ada Lovelace")
    expect(page.locator("#thread-subtitle")).to_contain_text("+1 (415) 555-0123")
    assert contact_of(message).name == "Ada Lovelace"

    # The name comes from Hatch, not from this page's memory.
    page.reload()
    expect(item.locator(".conversation-name")).to_have_text("Ada Lovelace")
    page.get_by_label("Search conversations").fill("lovelace")
    expect(page.locator("#conversation-list [data-conversation-id]")).to_have_count(1)


def test_adding_numbers_addresses_and_notes_speaks_in_words(sign_in):
    message = receive("Hello")
    work = receive("Hello from work", sender=ADA_AT_WORK)
    contact_services.contact_update(contact_id=contact_of(work).id, name="Ada Lovelace")
    page = sign_in()
    open_conversation(page, message.conversation_id)
    phones = panel(page).get_by_role("list", name="Phone numbers")
    expect(phones.get_by_role("listitem")).to_have_count(1)

    add_number = panel(page).get_by_label("Add a number")
    add_number.fill("12")
    add_number.press("Enter")
    error = panel(page).locator("#contact-phone-input-error")
    expect(error).to_have_text(re.compile(r"^The number is not a valid phone number: '12'\."))
    expect(panel(page)).not_to_contain_text("'phones'")

    add_number.fill("(212) 555-0147")
    add_number.press("Enter")
    expect(panel(page).get_by_text("+12125550147 already belongs to Ada Lovelace.")).to_be_visible()

    add_number.fill("+1 415 555 2671")
    add_number.press("Enter")
    expect(phones.get_by_role("listitem")).to_have_count(2)
    expect(phones.get_by_role("listitem").first).to_contain_text("Primary")
    expect(phones.get_by_role("listitem").last).to_have_text("+1 (415) 555-2671")
    expect(error).to_be_hidden()

    add_address = panel(page).get_by_label("Add an address")
    add_address.fill("Ada@Example.com")
    add_address.press("Enter")
    addresses = panel(page).get_by_role("list", name="Email addresses")
    expect(addresses.get_by_role("listitem")).to_have_text(re.compile("ada@example.com"))

    panel(page).get_by_role("textbox", name="Notes").fill("Prefers mornings.")
    panel(page).get_by_role("button", name="Save notes").click()
    expect(panel(page).get_by_text("Saved.")).to_be_visible()

    contact = contact_of(message)
    assert list(contact.points.order_by("kind", "position").values_list("value", flat=True)) == [
        "ada@example.com",
        "+14155550123",
        "+14155552671",
    ]
    assert contact.notes == "Prefers mornings."


def test_merging_two_contacts_folds_the_other_into_the_open_one(sign_in):
    home = receive("Hello")
    work = receive("Me again, from my work phone", sender=ADA_AT_WORK)
    kept, other = contact_of(home), contact_of(work)
    contact_services.contact_update(contact_id=kept.id, name="Ada Lovelace")
    contact_services.contact_update(contact_id=other.id, name="A. Lovelace (work)", notes="Desk")
    page = sign_in()
    work_item = page.locator(f'#conversation-list [data-conversation-id="{work.conversation_id}"]')
    expect(work_item.locator(".conversation-name")).to_have_text("A. Lovelace (work)")
    open_conversation(page, home.conversation_id)

    panel(page).get_by_role("button", name="Merge with another contact…").click()
    dialog = page.get_by_role("dialog", name="Merge contacts")
    expect(dialog.get_by_label("Find the other contact")).to_be_focused()
    merge = dialog.get_by_role("button", name="Merge contacts")
    expect(merge).to_be_disabled()
    dialog.get_by_label("Find the other contact").fill("lovelace")
    # The open contact is not offered: it cannot be merged with itself.
    expect(dialog.get_by_role("radio")).to_have_count(1)
    dialog.get_by_role("radio", name=re.compile("A. Lovelace")).check()
    expect(dialog.locator("#merge-confirmation")).to_have_text(
        "A. Lovelace (work) will be merged into Ada Lovelace. +1 (212) 555-0147 and their "
        "notes, conversations and email threads will belong to Ada Lovelace, and A. Lovelace "
        "(work) will be deleted. This cannot be undone."
    )
    merge.click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#toast")).to_have_text("A. Lovelace (work) was merged into Ada Lovelace.")
    phones = panel(page).get_by_role("list", name="Phone numbers")
    expect(phones.get_by_role("listitem")).to_have_count(2)
    expect(panel(page).get_by_role("textbox", name="Notes")).to_have_value("Desk")
    expect(work_item.locator(".conversation-name")).to_have_text("Ada Lovelace")
    assert list(Contact.objects.values_list("id", flat=True)) == [kept.id]
    assert set(
        Conversation.objects.filter(
            id__in=[home.conversation_id, work.conversation_id]
        ).values_list("contact_id", flat=True)
    ) == {kept.id}


def test_the_panel_shows_consent_and_the_history_of_every_channel(sign_in, casey):
    hello = receive("Hello")
    receive("STOP")
    contact = contact_of(hello)
    contact_services.contact_update(contact_id=contact.id, emails=["ada@example.com"])
    invoice = email_services.email_send(
        to_email="ada@example.com", subject="Your invoice", body="Attached.", user=casey
    )
    page = sign_in()
    open_conversation(page, hello.conversation_id)

    number = panel(page).get_by_role("list", name="Phone numbers").get_by_role("listitem")
    expect(number).to_contain_text(f"Replied STOP on {today()}")
    number.get_by_text("Consent history").click()
    expect(number.locator(".consent-history li")).to_have_text(
        re.compile(rf"^{today()} Replied STOP")
    )

    history = panel(page).get_by_role("list", name="History")
    expect(history.get_by_role("link")).to_have_count(3)
    expect(history.get_by_role("link").first).to_contain_text("Your invoice")
    history.get_by_role("link", name=re.compile("Your invoice")).click()

    expect(page).to_have_url(re.compile(rf"\?view=emails&t={invoice.thread_id}$"))
    expect(page.get_by_role("heading", name="Your invoice")).to_be_visible()
    expect(page.get_by_role("list", name="Emails in this thread")).to_contain_text("Attached.")


def test_importing_contacts_shows_what_was_created_and_what_was_refused(sign_in, tmp_path):
    page = sign_in()
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(
        "name,phone,email,notes\n"
        "Ada Lovelace,+14155550123,ada@example.com,\n"
        "Grace Hopper,(212) 555-0147,,Navy\n"
        "Nobody,12,,\n"
    )

    page.get_by_role("button", name="Import contacts").click()
    dialog = page.get_by_role("dialog", name="Import contacts")
    dialog.get_by_label("CSV file").set_input_files(csv_file)
    dialog.get_by_role("button", name="Import").click()

    summary = dialog.get_by_role("status").filter(has_text="created")
    expect(summary).to_contain_text("2 contacts created, 0 updated, 1 row refused.")
    expect(dialog.get_by_role("list", name="Refused rows")).to_contain_text("Line 4:")
    assert sorted(Contact.objects.values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Grace Hopper",
    ]


def test_a_picture_attached_in_the_reply_box_goes_by_mms_and_shows_as_a_thumbnail(
    sign_in, fake_providers
):
    message = receive("Can you send a photo of the receipt?")
    page = sign_in()
    open_conversation(page, message.conversation_id)

    # Over the limit: refused in words before anything is sent.
    page.get_by_label("Files to attach", exact=True).set_input_files(
        {"name": "huge.png", "mimeType": "image/png", "buffer": samples.png_of_size(5_200_000)}
    )
    files = page.get_by_role("list", name="Files to send")
    expect(files.get_by_role("listitem")).to_have_count(1)
    page.get_by_label("Type a message").press("Enter")
    expect(page.locator("#reply-form-error")).to_have_text(
        "These files come to 5.2 MB, and an MMS can carry 5 MB in all. Remove some, or send "
        "smaller ones."
    )
    files.get_by_role("button", name="Remove huge.png").click()
    expect(files).to_be_hidden()

    page.get_by_label("Files to attach", exact=True).set_input_files(
        {"name": "receipt.png", "mimeType": "image/png", "buffer": samples.png(8, 8)}
    )
    expect(files.get_by_role("listitem")).to_contain_text("receipt.png")
    expect(files.locator("img")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    expect(page.locator("#reply-files-summary")).to_have_text(
        re.compile(r"^1 file, \d+ bytes of 5 MB$")
    )
    page.get_by_label("Type a message").fill("Here it is")
    page.get_by_label("Type a message").press("Enter")

    sent = page.locator(".message-outbound")
    expect(sent).to_have_attribute("data-status", "queued")
    thumbnail = sent.locator(".attachments img")
    expect(thumbnail).to_have_attribute("alt", "receipt.png")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^/files/[0-9a-f-]+/receipt\.png$"))
    expect(sent.locator(".attachments a")).to_have_attribute("href", re.compile(r"^/files/"))
    page.wait_for_function(
        "() => document.querySelector('.message-outbound .attachments img').naturalWidth === 8"
    )
    expect(files).to_be_hidden()

    stored = Message.objects.get(direction=Direction.OUTBOUND)
    assert stored.body == "Here it is"
    assert sms_outbox.deliver(str(stored.id)) == "sent"
    (request,) = fake_providers.twilio_messages()
    (media_url,) = request.form["MediaUrl"]
    assert media_url.endswith("/receipt.png")


def test_the_servers_refusal_of_a_file_shows_on_the_reply(sign_in):
    message = receive("Send me the menu")
    page = sign_in()
    open_conversation(page, message.conversation_id)

    # Named like a picture, but its bytes are text: only the server can tell.
    page.get_by_label("Files to attach", exact=True).set_input_files(
        {"name": "menu.png", "mimeType": "image/png", "buffer": b"not a picture at all"}
    )
    page.get_by_label("Type a message").press("Enter")

    refused = page.locator(".message-outbound")
    expect(refused).to_have_attribute("data-status", "error")
    expect(refused.locator(".message-error")).to_contain_text("menu.png")
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_on_a_phone_the_contact_opens_as_a_drawer_over_the_thread(sign_in):
    message = receive("Hello")
    page = sign_in({"width": 390, "height": 844})
    open_conversation(page, message.conversation_id)
    toggle = page.get_by_role("button", name="Contact", exact=True)
    expect(panel(page)).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    toggle.click()
    expect(panel(page)).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(panel(page).get_by_role("heading", level=2)).to_be_focused()
    box = panel(page).bounding_box()
    assert box["width"] <= 390 and box["height"] == 844  # over the thread, full height

    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    expect(toggle).to_be_focused()
