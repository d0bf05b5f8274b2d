"""How an outbound email goes through the outbox (outbox.engine) to its provider."""

from datetime import datetime

from emails import consent
from emails.live import publish_email_changed
from emails.models import STATUS_LADDER, Email, EmailAttachment, EmailAttempt
from emails.providers import email_providers
from emails.providers.base import EmailSendResult, OutgoingAttachment, OutgoingEmail
from outbox.engine import Outbox, RecipientOptedOut


class EmailOutbox(Outbox):
    channel = "email"
    label = "Email"
    model = Email
    attempt_model = EmailAttempt
    attempt_record_field = "email"
    status_ladder = STATUS_LADDER
    refusal_reason = "an address it goes to is suppressed (bounced, spam report, unsubscribed)"

    def send(self, record: Email) -> EmailSendResult:
        # A bounce, spam report or unsubscribe may have arrived after the email was accepted.
        refusal = consent.recipients_refusal(to_email=record.to_email, cc=record.cc, bcc=record.bcc)
        if refusal is not None:
            _field, sentence = refusal
            raise RecipientOptedOut(sentence, code=consent.SUPPRESSED, reason=sentence)
        return email_providers.get().send(_outgoing(record))

    def find_sent(self, record: Email, since: datetime) -> EmailSendResult | None:
        return email_providers.get().find_sent(_outgoing(record, with_files=False), since)

    def success_fields(self, result: EmailSendResult) -> dict:
        return {"provider_response": result.response}

    def refused_ids(self, record_ids: list) -> set:
        recipients = {
            pk: [to_email, *cc, *bcc]
            for pk, to_email, cc, bcc in Email.objects.filter(id__in=record_ids).values_list(
                "id", "to_email", "cc", "bcc"
            )
        }
        return consent.suppressed_recipients_among(recipients)

    def retry_cleared_fields(self) -> dict:
        return {"error_code": "", "provider_response": None}

    def publish(self, record_id) -> None:
        publish_email_changed(record_id)


def _outgoing(record: Email, *, with_files: bool = True) -> OutgoingEmail:
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
        message_id=record.message_id or "",
        in_reply_to=record.in_reply_to,
        references=tuple(record.references.split()),
        attachments=_attachments(record) if with_files else (),
    )


def _attachments(record: Email) -> tuple[OutgoingAttachment, ...]:
    """The email's files with their bytes, read from storage at each attempt."""
    if not record.attachment_count:
        return ()
    files = []
    links = EmailAttachment.objects.filter(email=record).select_related("attachment")
    for link in links.order_by("position"):
        with link.attachment.file.open("rb") as stored:
            content = stored.read()
        files.append(
            OutgoingAttachment(link.attachment.filename, link.attachment.content_type, content)
        )
    return tuple(files)


email_outbox = EmailOutbox()
