"""How an outbound email goes through the outbox (hatch.delivery) to its provider."""

from datetime import datetime

from emails.events import publish_email_changed
from emails.models import STATUS_RANK, Email, EmailAttempt, EmailStatus
from emails.providers import get_email_provider
from emails.providers.base import EmailSendResult, OutgoingEmail
from emails.tasks import send_email
from hatch.delivery import Outbox


class EmailOutbox(Outbox):
    model = Email
    attempt_model = EmailAttempt
    attempt_record_field = "email"
    task = send_email

    def send(self, record: Email) -> EmailSendResult:
        return get_email_provider().send(_outgoing(record))

    def find_sent(self, record: Email, since: datetime) -> EmailSendResult | None:
        return get_email_provider().find_sent(_outgoing(record), since)

    def publish(self, record_id) -> None:
        publish_email_changed(record_id)

    def apply_success(self, record: Email, result: EmailSendResult, now: datetime) -> None:
        email = Email.objects.select_for_update().get(pk=record.pk)
        email.provider_message_id = email.provider_message_id or result.provider_message_id
        email.provider_response = result.response
        email.sent_at = email.sent_at or now
        if STATUS_RANK[email.status] < STATUS_RANK[EmailStatus.SENT]:
            email.status = EmailStatus.SENT
        email.save(
            update_fields=[
                "provider_message_id",
                "provider_response",
                "sent_at",
                "status",
                "updated_at",
            ]
        )


def _outgoing(record: Email) -> OutgoingEmail:
    return OutgoingEmail(
        hatch_id=str(record.pk),
        to_email=record.to_email,
        from_email=record.from_email,
        subject=record.subject,
        body=record.body,
        html_content=record.html_content,
        cc=tuple(record.cc),
        bcc=tuple(record.bcc),
        reply_to=record.reply_to,
    )


email_outbox = EmailOutbox()
