"""How an outbound email goes through the outbox (outbox.engine) to its provider."""

import functools
from datetime import datetime

from django.conf import settings

from emails import consent
from emails.live import publish_email_changed
from emails.models import STATUS_LADDER, Email, EmailAttachment, EmailAttempt
from emails.providers import email_providers
from emails.providers.base import EmailSendResult, OutgoingAttachment, OutgoingEmail
from emails.unsubscribe import unsubscribe_headers
from outbox.engine import Outbox, RecipientOptedOut, SendJob


class EmailOutbox(Outbox):
    channel = "email"
    label = "Email"
    model = Email
    attempt_model = EmailAttempt
    attempt_record_field = "email"
    status_ladder = STATUS_LADDER
    refusal_reason = "an address it goes to is suppressed (bounced, spam report, unsubscribed)"

    def send_jobs(self, records: list[Email], ambiguous_since: dict) -> list[SendJob]:
        provider = email_providers.get()
        # A bounce, spam report or unsubscribe may have arrived after an email was accepted.
        suppressed = consent.suppressed_recipients_among(
            {record.pk: [record.to_email, *record.cc, *record.bcc] for record in records}
        )
        jobs = []
        for record in records:
            refusal = None
            if record.pk in suppressed:
                found = consent.recipients_refusal(
                    to_email=record.to_email, cc=record.cc, bcc=record.bcc
                )
                sentence = found[1] if found else "A recipient may no longer be emailed."
                refusal = RecipientOptedOut(sentence, code=consent.SUPPRESSED, reason=sentence)
            since = ambiguous_since.get(record.pk)
            # The files are read from storage here, in the worker's own thread.
            outgoing = _outgoing(record) if refusal is None else None
            jobs.append(
                SendJob(
                    send=functools.partial(provider.send, outgoing),
                    find_sent=None
                    if since is None
                    else functools.partial(
                        provider.find_sent, _outgoing(record, with_files=False), since
                    ),
                    refusal=refusal,
                )
            )
        return jobs

    def find_sent(self, record: Email, since: datetime) -> EmailSendResult | None:
        return email_providers.get().find_sent(_outgoing(record, with_files=False), since)

    def concurrency(self) -> int:
        # SendGrid has no look-up: an email whose acceptance goes unanswered (a timeout) is
        # sent again. Fewer in flight, fewer such emails when SendGrid slows down.
        return min(settings.DELIVERY_CONCURRENCY, settings.EMAIL_DELIVERY_CONCURRENCY)

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
        # A broadcast's email carries its way out (the link is in its body already).
        extra_headers=tuple(unsubscribe_headers(record.to_email).items())
        if record.broadcast_id
        else (),
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
