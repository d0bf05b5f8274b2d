"""Messages of every channel, stored through the channels' own services, at known times."""

from dataclasses import dataclass

import pytest

from contacts.services import contact_create
from emails import services as email_services
from emails.events import InboundEmail
from emails.models import Email, EmailStatus
from exports.tests.support import HATCH_NUMBER, LINK, at, client_for
from messaging import services as sms_services
from messaging.events import InboundMessage
from messaging.models import Message, MessageStatus
from messaging.tests.factories import UserFactory


@dataclass
class Records:
    sms_out: Message
    sms_in: Message
    internal: Message
    email_out: Email
    email_in: Email

    def oldest_first(self) -> list:
        return [self.sms_out, self.sms_in, self.internal, self.email_out, self.email_in]


@pytest.fixture
def records(user):
    """One of each: a failed SMS Casey sent, a reply from a contact named like a formula,
    an internal message, an email Casey sent (delivered, a formula-like subject), and the
    inbound email that answered it; a day apart in March 2025, oldest first as listed."""
    linked = contact_create(name=LINK, phones=["+14155550190"])
    sms_out = sms_services.message_send(to="+14155550190", body="Your table is ready", user=user)
    Message.objects.filter(id=sms_out.id).update(
        status=MessageStatus.FAILED,
        error_code=30003,
        error_message="Unreachable destination handset",
        created_at=at("2025-03-02T12:00:00"),
    )
    sms_in, _ = sms_services.message_receive(
        event=InboundMessage(
            from_contact="+14155550190",
            to_contact=HATCH_NUMBER,
            body=LINK,
            provider_message_id="SM" + "1" * 32,
        )
    )
    Message.objects.filter(id=sms_in.id).update(created_at=at("2025-03-03T12:00:00"))
    internal = sms_services.message_send(to="Front desk", body="-- lunch at 1?", user=user)
    Message.objects.filter(id=internal.id).update(created_at=at("2025-03-04T12:00:00"))
    email_out = email_services.email_send(
        to_email="ada@example.com", subject="@SUM(1) invoice", body="It shipped.", user=user
    )
    Email.objects.filter(id=email_out.id).update(
        status=EmailStatus.DELIVERED,
        created_at=at("2025-03-05T12:00:00"),
        sent_at=at("2025-03-05T12:00:01"),
        delivered_at=at("2025-03-05T12:00:09"),
    )
    email_in, _ = email_services.email_receive(
        event=InboundEmail(
            from_address="ada@example.com",
            from_name="Ada Lovelace",
            to=("team@hatch.test",),
            envelope_to=("team@hatch.test",),
            subject="Re: invoice",
            text="Thanks!\nAda",
            message_id="reply-1@example.com",
            in_reply_to=(email_out.message_id,),
        )
    )
    Email.objects.filter(id=email_in.id).update(created_at=at("2025-03-06T12:00:00"))
    assert linked.conversations.count() == 1
    found = Records(
        sms_out=Message.objects.get(id=sms_out.id),
        sms_in=Message.objects.get(id=sms_in.id),
        internal=Message.objects.get(id=internal.id),
        email_out=Email.objects.get(id=email_out.id),
        email_in=Email.objects.get(id=email_in.id),
    )
    return found


@pytest.fixture
def other_client(db):
    """Another agent, signed in with a token."""
    return client_for(UserFactory(username="robin", first_name="Robin"))


@pytest.fixture
def admin_client(db):
    """A team admin (a superuser starts as one), signed in with a token."""
    return client_for(UserFactory(username="ada_admin", is_superuser=True))
