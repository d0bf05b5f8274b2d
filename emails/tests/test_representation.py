"""The JSON builders answer exactly what the documented serializers describe.

emails.api's serializers are the OpenAPI schema's description of an email and of one with
its events; the API and the inbox's live events render with emails.representation instead
(see its docstring). These tests render both for the same records and require the same
bytes, so the schema cannot drift from what clients receive.
"""

import pytest

from attachments.tests import samples
from emails import services
from emails.api import EmailDetailSerializer, EmailSerializer
from emails.models import Email, EmailStatus
from emails.representation import (
    EMAIL_EVENT_FIELDS,
    EMAIL_FIELDS,
    email_data,
    email_detail_data,
    emails_data,
)
from emails.tests import sendgrid_payloads as sendgrid
from web.renderers import FastJSONRenderer

pytestmark = pytest.mark.django_db

render = FastJSONRenderer().render


@pytest.fixture
def emails(user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    services.email_send(
        to_email="Ada@Example.COM",
        subject="Ünïcode receipt 👋",
        body="Thanks!\n",
        html_content="<p>Thanks!</p>",
        cc=["bob@example.com"],
        bcc=["audit@example.com"],
        reply_to="help@hatch.test",
        user=user,
    )
    delivered = services.email_send(to_email="pat@example.com", subject="Shipped", body="Hi")
    message_id = sendgrid.x_message_id()
    # SendGrid's times are whole seconds: the ".000000" must survive.
    services.email_events_apply(
        events=sendgrid.tracking_events(
            [
                sendgrid.event(
                    kind,
                    email="pat@example.com",
                    message_id=message_id,
                    hatch_email_id=str(delivered.id),
                    timestamp=1732890000 + offset,
                )
                for offset, kind in enumerate(["processed", "delivered", "open"])
            ]
        )
    )
    failed = services.email_send(
        to_email="pat@example.com",
        subject="Your invoice",
        body="Attached.",
        attachments=[("invoice.pdf", samples.PDF, None), ("logo.png", samples.png(), None)],
    )
    Email.objects.filter(id=failed.id).update(
        status=EmailStatus.FAILED,
        error_message="The from address does not match a verified Sender Identity",
    )
    return Email.objects.all()


def test_emails_render_as_their_serializer_describes(emails):
    assert emails.count() == 3
    for email in emails:
        row = Email.objects.filter(pk=email.pk).values(*EMAIL_FIELDS).get()
        assert render(emails_data([row])[0]) == render(EmailSerializer(email).data)


def test_an_email_with_its_events_renders_as_its_serializer_describes(emails):
    for email in emails:
        row = Email.objects.filter(pk=email.pk).values(*EMAIL_FIELDS).get()
        events = email.events.values(*EMAIL_EVENT_FIELDS)
        assert render(email_detail_data(row, events)) == render(EmailDetailSerializer(email).data)
    assert sum(email.events.count() for email in emails) == 3


def test_whole_second_times_keep_their_microseconds_and_offset(emails):
    delivered = emails.get(status=EmailStatus.DELIVERED)
    row = Email.objects.filter(pk=delivered.pk).values(*EMAIL_FIELDS).get()

    assert email_data(row)["delivered_at"] == "2024-11-29T14:20:01.000000+00:00"
