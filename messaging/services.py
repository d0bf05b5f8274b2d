"""Every write to conversations and messages goes through these functions.

Views, viewsets, commands and (later) webhooks and tasks call them; they hold no rules of
their own. Each service validates first, then writes inside one short transaction.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from hatch.contacts import Contact, ContactKind, conversation_id_for, normalise_phone, parse_contact
from hatch.errors import ValidationError
from messaging.models import (
    BODY_MAX_LENGTH,
    PREVIEW_LENGTH,
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
)
from messaging.segments import count_segments


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
    else:
        from_contact = _internal_sender(sender, user)
        channel, status = Channel.INTERNAL, MessageStatus.DELIVERED

    now = timezone.now()
    with transaction.atomic():
        conversation_id = _conversation_record_message(
            own=from_contact, other=recipient, body=body, at=now
        )
        return Message.objects.create(
            conversation_id=conversation_id,
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
        )


def message_receive(
    *,
    from_contact: str,
    to_contact: str,
    body: str,
    provider_message_id: str | None = None,
    num_media: int = 0,
    received_at: datetime | None = None,
) -> tuple[Message, bool]:
    """Store an inbound SMS; return ``(message, created)``.

    A MessageSid seen before returns the stored message unchanged, so a provider's retry
    never duplicates a message.
    """
    if provider_message_id:
        existing = Message.objects.filter(provider_message_id=provider_message_id).first()
        if existing is not None:
            return existing, False
    sender = parse_contact(from_contact, field="From")
    recipient = parse_contact(to_contact, field="To")
    if not (sender.is_phone and recipient.is_phone):
        raise ValidationError("An inbound SMS needs phone numbers in 'From' and 'To'.")
    # An inbound SMS may carry only media; the body then says so rather than being empty.
    body = body[:BODY_MAX_LENGTH] if body.strip() else "(media message)"
    at = received_at or timezone.now()
    try:
        with transaction.atomic():
            conversation_id = _conversation_record_message(
                own=recipient, other=sender, body=body, at=at
            )
            message = Message.objects.create(
                conversation_id=conversation_id,
                to_contact=recipient.value,
                from_contact=sender.value,
                body=body,
                channel=Channel.SMS,
                direction=Direction.INBOUND,
                status=MessageStatus.RECEIVED,
                provider_message_id=provider_message_id or None,
                num_segments=count_segments(body).segments,
                num_media=num_media,
                created_at=at,
                delivered_at=at,
            )
    except IntegrityError:
        # The same MessageSid arrived twice at once and the other request stored it first.
        if provider_message_id:
            return Message.objects.get(provider_message_id=provider_message_id), False
        raise
    return message, True


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


def sms_senders() -> list[str]:
    """The numbers Hatch may send SMS from, in E.164, the default first."""
    configured = [settings.TWILIO_FROM_NUMBER, *settings.TWILIO_EXTRA_FROM_NUMBERS]
    return [normalise_phone(number, field="TWILIO_FROM_NUMBER") for number in configured if number]


def _sms_sender(sender: str | None) -> Contact:
    allowed = sms_senders()
    if not allowed:
        raise ValidationError(
            "SMS sending is not configured: set TWILIO_FROM_NUMBER.", field="from"
        )
    if not sender:
        return Contact(allowed[0], ContactKind.PHONE)
    contact = parse_contact(sender, field="from")
    if contact.value not in allowed:
        raise ValidationError(
            f"'from' must be one of Hatch's sending numbers: {', '.join(allowed)}.", field="from"
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


def conversation_preview(body: str) -> str:
    """The one-line preview a conversation shows of its newest message."""
    return " ".join(body.split())[:PREVIEW_LENGTH]


def _conversation_record_message(
    *, own: Contact, other: Contact, body: str, at: datetime
) -> uuid.UUID:
    """Create the conversation or update its summary for one more message; return its id.

    Call it inside the transaction that stores the message.

    The UPDATE goes first because most messages join an existing conversation: one round
    trip, and the row lock it takes serialises concurrent senders to the same pair.
    """
    conversation_id = conversation_id_for(own.value, other.value)
    preview = conversation_preview(body)
    is_newest = Q(last_message_at__lte=at)
    summary = dict(
        message_count=F("message_count") + 1,
        last_message_at=Greatest(F("last_message_at"), Value(at)),
        last_message_preview=Case(
            When(is_newest, then=Value(preview)), default=F("last_message_preview")
        ),
        reply_to=Case(When(is_newest, then=Value(other.value)), default=F("reply_to")),
        own_contact=Case(When(is_newest, then=Value(own.value)), default=F("own_contact")),
        updated_at=timezone.now(),
    )
    if Conversation.objects.filter(id=conversation_id).update(**summary):
        return conversation_id
    first, second = sorted([own.value, other.value])
    try:
        with transaction.atomic():
            Conversation.objects.create(
                id=conversation_id,
                participant_a=first,
                participant_b=second,
                reply_to=other.value,
                own_contact=own.value,
                has_phone_numbers=own.is_phone or other.is_phone,
                last_message_at=at,
                last_message_preview=preview,
                message_count=1,
            )
    except IntegrityError:
        # Another transaction created it between our UPDATE and INSERT.
        Conversation.objects.filter(id=conversation_id).update(**summary)
    return conversation_id
