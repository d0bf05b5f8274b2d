"""How an outbound SMS goes through the outbox (outbox.engine) to its provider."""

from datetime import datetime, timedelta

from messaging import consent
from messaging.live import publish_message_changed
from messaging.models import STATUS_LADDER, Channel, Direction, Message, MessageAttempt
from messaging.providers import sms_providers
from messaging.providers.base import SmsSendResult
from outbox.engine import FAILED, Outbox, ProviderError, RecipientOptedOut


class SmsOutbox(Outbox):
    channel = "sms"
    label = "SMS"
    model = Message
    attempt_model = MessageAttempt
    attempt_record_field = "message"
    status_ladder = STATUS_LADDER
    refusal_reason = "the recipient opted out (replied STOP)"

    def send(self, record: Message) -> SmsSendResult:
        provider = sms_providers.get()
        # The recipient may have replied STOP after this message was queued.
        if consent.is_opted_out(record.to_contact):
            raise RecipientOptedOut(
                "The recipient has opted out (replied STOP).",
                code=provider.opted_out_code,
                reason=provider.opted_out_reason,
            )
        return provider.send(
            message_id=str(record.pk),
            to=record.to_contact,
            from_=record.from_contact,
            body=record.body,
        )

    def success_fields(self, result: SmsSendResult) -> dict:
        return {"num_segments": result.num_segments} if result.num_segments else {}

    def find_sent(self, record: Message, since: datetime) -> SmsSendResult | None:
        # Identical texts to the same number are legitimate: a message Hatch already
        # matched to another record is not this one.
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
        return sms_providers.get().find_sent(
            to=record.to_contact,
            from_=record.from_contact,
            body=record.body,
            since=since,
            exclude=set(taken),
        )

    def publish(self, record_id) -> None:
        publish_message_changed(record_id)

    def apply_permanent_failure(self, record: Message, error: ProviderError) -> None:
        if isinstance(error, RecipientOptedOut):
            consent.phone_opt_out(phone=record.to_contact, reason=error.reason)

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
        opted_out = consent.opted_out_among(recipients.values())
        return {pk for pk, phone in recipients.items() if phone in opted_out}

    def retry_cleared_fields(self) -> dict:
        return {"error_code": None}


sms_outbox = SmsOutbox()
