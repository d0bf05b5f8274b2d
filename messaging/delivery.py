"""How an outbound SMS goes through the outbox (hatch.delivery) to its provider."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse

from hatch.delivery import Outbox, ProviderError
from messaging.events import publish_message_changed
from messaging.models import STATUS_RANK, Message, MessageAttempt, MessageStatus, OptOut
from messaging.providers import get_sms_provider
from messaging.providers.base import SmsSendResult
from messaging.providers.twilio import OPTED_OUT
from messaging.tasks import send_message


def status_callback_url(message: Message) -> str:
    # Hatch's own id rides along, so a callback that outruns the worker's bookkeeping
    # (the MessageSid is not stored yet) still finds its message.
    return f"{settings.PUBLIC_BASE_URL}{reverse('twilio-status')}?message_id={message.pk}"


class SmsOutbox(Outbox):
    model = Message
    attempt_model = MessageAttempt
    attempt_record_field = "message"
    task = send_message

    def send(self, record: Message) -> SmsSendResult:
        # The recipient may have replied STOP after this message was queued.
        if OptOut.objects.filter(phone=record.to_contact).exists():
            raise ProviderError(
                "The recipient has opted out (replied STOP).", code=OPTED_OUT, permanent=True
            )
        return get_sms_provider().send(
            to=record.to_contact,
            from_=record.from_contact,
            body=record.body,
            status_callback=status_callback_url(record),
        )

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
        return get_sms_provider().find_sent(
            to=record.to_contact,
            from_=record.from_contact,
            body=record.body,
            since=since,
            exclude=set(taken),
        )

    def publish(self, record_id) -> None:
        publish_message_changed(record_id)

    def apply_success(self, record: Message, result: SmsSendResult, now: datetime) -> None:
        # One UPDATE that keeps whatever a status callback already wrote (it may have
        # outrun the worker): the first SID and send time stay, and the status only moves
        # up to "sent".
        not_yet_sent = [
            s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[MessageStatus.SENT]
        ]
        Message.objects.filter(pk=record.pk).update(
            provider_message_id=Coalesce(
                F("provider_message_id"), Value(result.provider_message_id)
            ),
            num_segments=Value(result.num_segments) if result.num_segments else F("num_segments"),
            sent_at=Coalesce(F("sent_at"), Value(now)),
            status=Case(
                When(status__in=not_yet_sent, then=Value(MessageStatus.SENT)),
                default=F("status"),
            ),
            updated_at=now,
        )

    def apply_permanent_failure(self, record: Message, error: ProviderError) -> None:
        if error.code == OPTED_OUT:
            OptOut.objects.get_or_create(
                phone=record.to_contact, defaults={"reason": f"Twilio {OPTED_OUT}"}
            )

    def error_fields(self, error: ProviderError) -> dict:
        # Twilio's error codes are numbers; anything else (an HTTP status) is kept as text.
        code = int(error.code) if error.code.isdigit() else None
        return {"error_code": code, "error_message": error.message}


sms_outbox = SmsOutbox()
