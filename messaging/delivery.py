"""How an outbound SMS goes through the outbox (outbox.engine) to its provider, and how an
inbound MMS's media come back from it (InboundMedia)."""

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.tasks import Task, task_backends

from attachments.selectors import attachment_public_url
from consent.selectors import suppressed_among
from messaging import consent
from messaging.live import publish_message_changed, publish_messages_changed
from messaging.models import (
    STATUS_LADDER,
    Channel,
    Direction,
    Message,
    MessageAttachment,
    MessageAttempt,
)
from messaging.providers import sms_providers
from messaging.providers.base import SmsSendResult
from outbox.engine import FAILED, Outbox, ProviderError, RecipientOptedOut, SendJob


class SmsOutbox(Outbox):
    channel = "sms"
    label = "SMS"
    model = Message
    attempt_model = MessageAttempt
    attempt_record_field = "message"
    status_ladder = STATUS_LADDER
    refusal_reason = "the recipient opted out (replied STOP)"

    def send_jobs(self, records: list[Message], ambiguous_since: dict) -> list[SendJob]:
        provider = sms_providers.get()
        # A recipient may have replied STOP after their message was queued.
        opted_out = suppressed_among({record.to_contact for record in records})
        media = _media_urls([record for record in records if record.num_media])
        jobs = []
        for record in records:
            refusal = None
            if record.to_contact in opted_out:
                refusal = RecipientOptedOut(
                    consent.phone_refusal(record.to_contact) or "The recipient opted out.",
                    code=provider.opted_out_code,
                    reason=provider.opted_out_reason,
                )
            since = ambiguous_since.get(record.pk)
            jobs.append(
                SendJob(
                    send=functools.partial(
                        provider.send,
                        message_id=str(record.pk),
                        to=record.to_contact,
                        from_=record.from_contact,
                        body=record.body,
                        media_urls=media.get(record.pk, []),
                    ),
                    find_sent=None if since is None else self._find_sent_job(record, since),
                    refusal=refusal,
                )
            )
        return jobs

    def success_fields(self, result: SmsSendResult) -> dict:
        return {"num_segments": result.num_segments} if result.num_segments else {}

    def find_sent(self, record: Message, since: datetime) -> SmsSendResult | None:
        return self._find_sent_job(record, since)()

    def _find_sent_job(self, record: Message, since: datetime) -> Callable[[], Any]:
        """The provider look-up for ``record``, with what it must leave out read now:
        identical texts to the same number are legitimate, and a message Hatch already
        matched to another record is not this one."""
        taken = (
            Message.objects.filter(
                to_contact=record.to_contact,
                body=record.body,
                provider_message_id__isnull=False,
                created_at__gte=since - timedelta(days=1),
            )
            .exclude(pk=record.pk)
            .values_list("provider_message_id", flat=True)
        )
        return functools.partial(
            sms_providers.get().find_sent,
            to=record.to_contact,
            from_=record.from_contact,
            body=record.body,
            since=since,
            exclude=set(taken),
        )

    def publish(self, record_id) -> None:
        publish_message_changed(record_id)

    def publish_many(self, record_ids: list) -> None:
        publish_messages_changed(record_ids)

    def apply_permanent_failure(self, record: Message, error: ProviderError) -> None:
        if isinstance(error, RecipientOptedOut):
            consent.phone_opt_out_by_provider(phone=record.to_contact, detail=error.reason)

    def error_fields(self, error: ProviderError) -> dict:
        # SMS error codes are numbers (Twilio's); anything else (an HTTP status) is text.
        code = int(error.code) if error.code.isdigit() else None
        return {"error_code": code, "error_message": error.message}

    def retryable(self):
        return Message.objects.filter(
            channel=Channel.SMS, direction=Direction.OUTBOUND, status=FAILED
        )

    def error_code_value(self, error_code: str) -> int | None:
        return int(error_code) if error_code.isdigit() else None

    def refused_ids(self, record_ids: list) -> set:
        recipients = dict(Message.objects.filter(id__in=record_ids).values_list("id", "to_contact"))
        opted_out = suppressed_among(recipients.values())
        return {pk for pk, phone in recipients.items() if phone in opted_out}

    def retry_cleared_fields(self) -> dict:
        return {"error_code": None}


def _media_urls(records: list[Message]) -> dict[Any, list[str]]:
    """By message id, the public URLs the provider fetches each message's files from, in
    order (one query, none without records). Made for each attempt, never stored: each
    opens its file for ATTACHMENT_PUBLIC_URL_MAX_AGE."""
    urls: dict[Any, list[str]] = {}
    if not records:
        return urls
    links = MessageAttachment.objects.filter(message__in=records).select_related("attachment")
    for link in links.order_by("message_id", "position"):
        urls.setdefault(link.message_id, []).append(attachment_public_url(link.attachment))
    return urls


sms_outbox = SmsOutbox()


class InboundMedia:
    """What downloading an inbound MMS's media needs from below the services: the worker's
    task (messaging.tasks.download_message_media, set by MessagingConfig.ready: the task
    calls the service that enqueues it), and the provider's credentials for its URLs."""

    task: Task

    def enqueue(self, message_id, *, run_after: datetime | None = None) -> None:
        """Queue a download; with a time, deferred where the backend can defer (elsewhere
        the sweeper enqueues it when due, as the outbox's retries)."""
        task = self.task
        if run_after is not None:
            if not task_backends[task.backend].supports_defer:
                return
            task = task.using(run_after=run_after)
        task.enqueue(str(message_id))

    def auth(self, url: str) -> tuple[str, str] | None:
        return sms_providers.get().media_auth(url)


inbound_media = InboundMedia()
