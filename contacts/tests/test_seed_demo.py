"""seed_demo gives every demo number and address a named contact, without slowing down."""

import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import Suppression
from consent.services import address_suppress
from contacts import services
from contacts.models import Contact, ContactPoint
from demo.management.commands import seed_demo
from emails.models import Email
from messaging.models import Conversation

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_every_sms_conversation_is_with_a_named_contact_owning_its_number(api_client):
    output = seed("--conversations", "12", "--phone-share", "0.75", "--emails", "0")

    sms = Conversation.objects.filter(channel="sms").select_related("contact")
    assert sms.count() == 9
    for conversation in sms:
        contact = conversation.contact
        assert contact is not None and " " in contact.name
        assert contact.points.get().value == conversation.reply_to
        assert contact.time_zone in zoneinfo.available_timezones()
    assert not Conversation.objects.filter(channel="internal", contact__isnull=False).exists()
    assert "for 9 contacts" in output
    listed = api_client.get("/api/conversations").json()["conversations"]
    assert all(item["contact"]["name"] for item in listed if item["channel"] == "sms")


def test_every_email_address_is_a_named_contacts():
    seed("--conversations", "0", "--emails", "40")

    addresses = set(Email.objects.values_list("to_email", flat=True))
    points = ContactPoint.objects.filter(kind="email").select_related("contact")
    assert {point.value for point in points} == addresses
    for point in points:
        first, last = point.contact.name.lower().split()
        assert point.value == f"{first}.{last}@example.com"
    assert Contact.objects.count() == len(addresses)


def test_a_contact_already_owning_a_demo_number_is_used_not_duplicated(monkeypatch):
    # One area code: its 100 fictional numbers are all used by 100 conversations.
    monkeypatch.setattr(seed_demo, "AREA_CODES", ["212"])
    ada = services.contact_create(name="Ada Lovelace", phones=["+12125550150"])

    seed(
        "--conversations", "100",
        "--messages-per-conversation", "1",
        "--phone-share", "1",
        "--emails", "0",
    )  # fmt: skip

    assert Conversation.objects.get(reply_to="+12125550150").contact_id == ada.id
    assert Contact.objects.count() == 100


def test_reset_replaces_the_contacts_and_keeps_consent():
    seed("--conversations", "4", "--phone-share", "1", "--emails", "2")
    number = Conversation.objects.first().reply_to
    address_suppress(address=number, channel="sms", reason="stop")

    output = seed("--reset", "--conversations", "2", "--phone-share", "1", "--emails", "0")

    assert "Deleted 6 contacts." in output
    assert Contact.objects.count() == 2
    assert Suppression.objects.filter(address=number).exists()


def test_contacts_cost_no_query_per_row():
    def queries_for(conversations: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            seed(
                "--reset",
                "--conversations",
                str(conversations),
                "--phone-share",
                "1",
                "--emails",
                "0",
            )
        return len(captured)

    queries_for(1)  # the demo user exists from here on
    assert queries_for(5) == queries_for(60)
    assert Contact.objects.count() == 60
