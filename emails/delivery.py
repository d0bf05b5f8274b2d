"""How an outbound email goes through the outbox (outbox.engine) to its provider."""

from datetime import datetime

from emails.live import publish_email_changed
from emails.models import STATUS_LADDER, Email, EmailAttempt
from emails.providers import email_providers
from emails.providers.base import EmailSendResult, OutgoingEmail
from outbox.engine import Outbox


class EmailOutbox(Outbox):
    channel = "email"
    label = "Email"
    model = Email
    attempt_model = EmailAttempt
    attempt_record_field = "email"
    status_ladder = STATUS_LADDER

    def send(self, record: Email) -> EmailSendResult:
        return email_providers.get().send(_outgoing(record))

    def find_sent(self, record: Email, since: datetime) -> EmailSendResult | None:
        return email_providers.get().find_sent(_outgoing(record), since)

    def success_fields(self, result: EmailSendResult) -> dict:
        return {"provider_response": result.response}

    def retry_cleared_fields(self) -> dict:
        return {"error_code": "", "provider_response": None}

    def publish(self, record_id) -> None:
        publish_email_changed(record_id)


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
