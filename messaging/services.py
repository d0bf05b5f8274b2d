"""Every write to conversations and messages goes through these functions.

Views, viewsets, commands, webhooks and tasks call them; they hold no rules of their own.
Each service validates first, then writes inside one short transaction.
"""

import logging
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.contacts import (
    CONTACT_MAX_LENGTH,
    Contact,
    ContactKind,
    normalise_phone,
    parse_contact,
)
from core.errors import Conflict, ValidationError
from core.senders import SenderAllowList
from core.text import without_nul
from messaging import consent
from messaging.delivery import sms_outbox
from messaging.events import InboundMessage, StatusChanged
from messaging.live import publish_conversation_changed, publish_message_changed
from messaging.models import (
    BODY_MAX_LENGTH,
    STATUS_LADDER,
    Channel,
    Conversation,
    Direction,
    Message,
    MessageEvent,
    MessageStatus,
)
from messaging.segments import count_segments
from messaging.signals import outbound_message_stored
from messaging.summary import store_message

logger = logging.getLogger(__name__)

# The numbers Hatch may send SMS from, in E.164, the default first.
SMS_SENDERS = SenderAllowList(
    default_setting="TWILIO_FROM_NUMBER",
    extra_setting="TWILIO_EXTRA_FROM_NUMBERS",
    normalise=lambda number: normalise_phone(number, field="from"),
    what="a valid phone number",
    hint="Write each number in E.164, e.g. +14155552671.",
)


def message_send(
    *, to: str, body: str, sender: str | None = None, user: AbstractBaseUser | None = None
) -> Message:
    """Accept an outbound message and store it; return the stored record.

    A phone number ``to`` makes an SMS, stored ``queued`` for the delivery pipeline; its
    sender defaults to TWILIO_FROM_NUMBER and must be one of the configured numbers. A name
    makes an internal message, stored ``delivered``; its sender defaults to the user's name.
    Raises ValidationError, naming the field, for anything unusable.
    """
    recipient = parse_contact(to, field="to")
    if recipient.kind is ContactKind.EMAIL:
        raise ValidationError(
            "'to' is an email address; send email with POST /api/send_email.", field="to"
        )
    body = _clean_body(body)

    if recipient.is_phone:
        from_contact = _sms_sender(sender)
        channel, status = Channel.SMS, MessageStatus.QUEUED
        if consent.is_opted_out(recipient.value):
            raise Conflict(
                f"{recipient.value} has opted out of messages (replied STOP). "
                "They can opt back in by texting START.",
                field="to",
            )
    else:
        from_contact = _internal_sender(sender, user)
        channel, status = Channel.INTERNAL, MessageStatus.DELIVERED

    now = timezone.now()
    message = Message(
        to_contact=recipient.value,
        from_contact=from_contact.value,
        body=body,
        channel=channel,
        direction=Direction.OUTBOUND,
        status=status,
        num_segments=count_segments(body).segments if channel == Channel.SMS else 1,
        sent_by=user if user is not None and user.is_authenticated else None,
        created_at=now,
        delivered_at=now if status == MessageStatus.DELIVERED else None,
        next_attempt_at=now if status == MessageStatus.QUEUED else None,
    )
    store_message(message, own=from_contact.value, other=recipient.value)
    if channel == Channel.SMS:
        # Its receiver (messaging.signals) enqueues the delivery once this commits.
        outbound_message_stored.send(sender=Message, message_id=message.pk)
    return message


def message_receive(*, event: InboundMessage) -> tuple[Message, bool]:
    """Store an inbound SMS; return ``(message, created)``.

    A provider message id seen before returns the stored message unchanged, so a provider's
    retry never duplicates a message. An opt-out keyword (STOP, ...) opts the sender out and
    an opt-in keyword (START, ...) back in; the keyword the provider recognised, when it
    names one (``event.consent_keyword``), decides instead.
    """
    provider_message_id = event.provider_message_id or None
    if provider_message_id:
        existing = Message.objects.filter(provider_message_id=provider_message_id).first()
        if existing is not None:
            return existing, False
    # Webhooks strip NUL already; an event from anywhere else must not fail the insert.
    body, from_contact, to_contact, media = without_nul(
        [event.body, event.from_contact, event.to_contact, event.media or []]
    )
    sender = _inbound_contact(from_contact, field="From")
    recipient = _inbound_contact(to_contact, field="To")
    # An inbound SMS may carry only media; the body then says so rather than being empty.
    body = body[:BODY_MAX_LENGTH] if body.strip() else "(media message)"
    at = event.received_at or timezone.now()
    keyword = (event.consent_keyword or body).strip().upper()
    try:
        with transaction.atomic():
            message = Message(
                to_contact=recipient.value,
                from_contact=sender.value,
                body=body,
                channel=Channel.SMS,
                direction=Direction.INBOUND,
                status=MessageStatus.RECEIVED,
                provider_message_id=provider_message_id,
                num_segments=count_segments(body).segments,
                num_media=len(media),
                media=media,
                created_at=at,
                delivered_at=at,
            )
            store_message(message, own=recipient.value, other=sender.value, unread=True)
            if keyword in consent.OPT_OUT_KEYWORDS:
                consent.phone_opt_out(phone=sender.value, reason=f"keyword {keyword}")
            elif keyword in consent.OPT_IN_KEYWORDS:
                consent.phone_opt_in(phone=sender.value)
    except IntegrityError:
        # The same message id arrived twice at once and the other request stored it first.
        if provider_message_id:
            return Message.objects.get(provider_message_id=provider_message_id), False
        raise
    return message, True


def _inbound_contact(raw: str, *, field: str) -> Contact:
    """Read a contact the provider reported; keep what cannot be parsed rather than lose it.

    Short codes ("12345") and alphanumeric sender ids are real senders but no E.164 number.
    """
    try:
        return parse_contact(raw, field=field)
    except ValidationError:
        value = raw.strip()[:CONTACT_MAX_LENGTH]
        if not value:
            raise
        return Contact(value, ContactKind.PHONE)


def message_status_apply(*, event: StatusChanged) -> Message | None:
    """Apply a provider's status report; return the message, or None if it is unknown.

    Statuses only move forward (STATUS_LADDER), so reports that arrive late, twice or out
    of order change nothing; the first error code is kept. Every report is stored.
    """
    code = event.error_code
    with transaction.atomic():
        message = _message_for_callback(event.provider_message_id, event.message_id)
        MessageEvent.objects.create(
            message=message,
            provider_message_id=event.provider_message_id,
            provider_status=event.provider_status,
            error_code=code,
            payload=event.payload,
        )
        if message is None:
            logger.info(
                "Status %r for unknown message %s", event.provider_status, event.provider_message_id
            )
            return None
        changed = []
        if event.provider_message_id and not message.provider_message_id:
            message.provider_message_id = event.provider_message_id
            changed.append("provider_message_id")
        if STATUS_LADDER.advances(message.status, event.status):
            message.status = event.status
            changed.append("status")
            now = timezone.now()
            if event.status == MessageStatus.DELIVERED:
                message.delivered_at = now
                changed.append("delivered_at")
            if not message.sent_at:
                message.sent_at = now
                changed.append("sent_at")
        # A delivered message has no error: an "undelivered" or "failed" that lost the race
        # to "delivered" (it always carries an error code) leaves it as it is.
        if (
            code is not None
            and message.error_code is None
            and message.status != MessageStatus.DELIVERED
        ):
            message.error_code, message.error_message = code, event.error_message
            changed += ["error_code", "error_message"]
        if changed:
            message.save(update_fields=[*changed, "updated_at"])
            publish_message_changed(message.pk)
        if event.opted_out_reason:
            consent.phone_opt_out(phone=message.to_contact, reason=event.opted_out_reason)
    return message


def _message_for_callback(provider_message_id: str, message_id: str) -> Message | None:
    outbound = Message.objects.select_for_update().filter(direction=Direction.OUTBOUND)
    if provider_message_id:
        message = outbound.filter(provider_message_id=provider_message_id).first()
        if message is not None:
            return message
    try:
        return outbound.filter(id=uuid.UUID(message_id)).first() if message_id else None
    except ValueError:
        return None


def _clean_body(body: str) -> str:
    if not body or not body.strip():
        raise ValidationError("'body' may not be blank.", field="body")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            f"'body' is {len(body)} characters long; the limit is {BODY_MAX_LENGTH}.",
            field="body",
        )
    if "\x00" in body:
        raise ValidationError("'body' may not contain NUL characters.", field="body")
    return body


def _sms_sender(sender: str | None) -> Contact:
    default = SMS_SENDERS.default()
    if default is None:
        raise ValidationError(
            "SMS sending is not configured: set TWILIO_FROM_NUMBER.", field="from"
        )
    if not sender:
        return Contact(default, ContactKind.PHONE)
    contact = parse_contact(sender, field="from")
    if not SMS_SENDERS.allows(contact.value):
        raise ValidationError(
            f"'from' must be one of Hatch's sending numbers: {', '.join(SMS_SENDERS.senders())}.",
            field="from",
        )
    return contact


def _internal_sender(sender: str | None, user: AbstractBaseUser | None) -> Contact:
    if not sender:
        if user is None or not user.is_authenticated:
            raise ValidationError("'from' is required when no user is signed in.", field="from")
        sender = user.get_full_name() or user.get_username()
    contact = parse_contact(sender, field="from")
    if contact.kind is not ContactKind.NAME:
        # A phone number or address as the sender of a database-only message would pass
        # it off as something it is not.
        raise ValidationError("'from' of an internal message must be a name.", field="from")
    return contact


def conversation_mark_read(*, conversation_id: uuid.UUID) -> None:
    """Someone opened the conversation: nothing in it is unread any more."""
    with transaction.atomic():
        if (
            Conversation.objects.filter(id=conversation_id)
            .exclude(unread_count=0)
            .update(unread_count=0, updated_at=timezone.now())
        ):
            publish_conversation_changed(conversation_id)


def message_retry(*, message: Message) -> Message:
    """Send one failed SMS again (outbox.engine.Outbox.retry_failed); return it as it now
    stands. Raises Conflict for anything but a failed outbound SMS, or a recipient who has
    opted out: sending it would override the person's STOP.
    """
    if not (
        message.status == MessageStatus.FAILED
        and message.channel == Channel.SMS
        and message.direction == Direction.OUTBOUND
    ):
        raise Conflict("Only a failed SMS can be retried.")
    if sms_outbox.retry_failed(ids=[message.id]).refused:
        raise Conflict(f"{message.to_contact} has opted out (replied STOP); not retried.")
    message.refresh_from_db()
    return message
