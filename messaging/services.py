"""Every write to conversations and messages goes through these functions.

Views, viewsets, commands, webhooks and tasks call them; they hold no rules of their own.
Each service validates first, then writes inside one short transaction.
"""

import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from attachments.models import Attachment
from attachments.services import (
    MEGABYTE,
    MMS_POLICY,
    MMS_RECEIVED_POLICY,
    FetchError,
    IncomingFile,
    attachment_fetch,
    attachments_save,
    attachments_write,
)
from contacts.selectors import contact_time_zone
from conversations.models import ConversationState
from conversations.selectors import users_named
from core.contacts import (
    CONTACT_MAX_LENGTH,
    ContactKind,
    Party,
    normalise_phone,
    parse_contact,
    sms_country_refusal,
)
from core.errors import Conflict, Forbidden, PayloadTooLarge, ValidationError
from core.senders import SenderAllowList
from core.text import without_nul
from messaging import consent
from messaging.delivery import inbound_media, sms_outbox
from messaging.events import InboundMessage, StatusChanged
from messaging.limits import sms_quota_give_back, sms_quota_take
from messaging.live import publish_message_changed
from messaging.models import (
    BODY_MAX_LENGTH,
    MEDIA_ONLY_BODY,
    STATUS_LADDER,
    Channel,
    Direction,
    MediaStatus,
    Message,
    MessageAttachment,
    MessageEvent,
    MessageStatus,
)
from messaging.segments import count_segments
from messaging.signals import outbound_message_stored
from messaging.summary import store_message
from outbox.engine import retry_delay
from outbox.scheduling import BulkSend, bulk_plan, send_plan

logger = logging.getLogger(__name__)

# The numbers Hatch may send SMS from, in E.164, the default first.
SMS_SENDERS = SenderAllowList(
    default_setting="TWILIO_FROM_NUMBER",
    extra_setting="TWILIO_EXTRA_FROM_NUMBERS",
    normalise=lambda number: normalise_phone(number, field="from"),
    what="a valid phone number",
    hint="Write each number in E.164, e.g. +14155552671.",
)


# An internal message carries files within an MMS's limits: the inbox composes both alike.
INTERNAL_MEDIA_POLICY = replace(MMS_POLICY, what="an internal message")


def message_send(
    *,
    to: str,
    body: str,
    sender: str | None = None,
    user: AbstractBaseUser | None = None,
    media: Sequence[IncomingFile] = (),
    send_at: datetime | None = None,
    bulk: BulkSend | None = None,
) -> Message:
    """Accept an outbound message and store it; return the stored record.

    A phone number ``to`` makes an SMS, stored ``queued`` for the delivery pipeline; its
    sender defaults to TWILIO_FROM_NUMBER and must be one of the configured numbers. A name
    makes an internal message, stored ``delivered``; its sender defaults to the user's name.
    Raises ValidationError, naming the field, for anything unusable, and TooManyRequests
    past a daily SMS limit (messaging.limits).

    ``media``: files (uploaded, or ``(filename, bytes, declared type)``) that make the SMS
    an MMS, held to MMS_POLICY (an internal message's to the same limits); the body may
    then be empty. They are checked after everything else and before anything is stored
    (attachments.services: ValidationError for their number or a type refused,
    PayloadTooLarge for their size), then stored with the message, in order.

    ``send_at`` (an SMS only) stores it ``scheduled`` for that time (outbox.scheduling:
    at least a minute and at most a year ahead; quiet hours may hold it later), when the
    outbox sends it; until then it can be canceled or changed (message_cancel,
    message_reschedule). Consent and the country are checked now and again when it goes.

    ``bulk`` (an SMS only) sends it for a broadcast (outbox.scheduling.BulkSend): due when
    the broadcast's pacing says, in its recipient's conversation without opening it (a new
    one is created closed), and with no delivery task or inbox event of its own.
    """
    media = list(media)
    recipient = parse_contact(to, field="to")
    if recipient.kind is ContactKind.EMAIL:
        raise ValidationError(
            "'to' is an email address; send email with POST /api/send_email.", field="to"
        )
    body = _clean_body(body, has_media=bool(media))

    now = timezone.now()
    plan = None
    if recipient.is_phone:
        if refusal := sms_country_refusal(recipient.value):
            raise ValidationError(refusal, field="to")
        from_contact = _sms_sender(sender)
        time_zone = functools.partial(contact_time_zone, value=recipient.value)
        if bulk is not None:
            plan = bulk_plan(bulk, phone=recipient.value, contact_time_zone=time_zone, now=now)
        else:
            plan = send_plan(send_at, phone=recipient.value, contact_time_zone=time_zone, now=now)
        channel, status = Channel.SMS, plan.status
        if refusal := consent.phone_refusal(recipient.value):
            raise Conflict(refusal, field="to")
    else:
        if send_at is not None or bulk is not None:
            raise ValidationError(
                "Only an SMS can be scheduled: an internal message is posted at once.",
                field="send_at",
            )
        from_contact = _internal_sender(sender, user)
        channel, status = Channel.INTERNAL, MessageStatus.DELIVERED

    message = Message(
        to_contact=recipient.value,
        from_contact=from_contact.value,
        body=body,
        channel=channel,
        direction=Direction.OUTBOUND,
        status=status,
        num_segments=count_segments(body).segments if channel == Channel.SMS else 1,
        num_media=len(media),
        sent_by=user if user is not None and user.is_authenticated else None,
        created_at=now,
        delivered_at=now if status == MessageStatus.DELIVERED else None,
        next_attempt_at=plan.next_attempt_at if plan else None,
        scheduled_for=plan.scheduled_for if plan else None,
        broadcast_id=bulk.broadcast_id if bulk else None,
    )
    # A broadcast's message opens no conversation and tells the inbox nothing of itself.
    store = functools.partial(
        store_message,
        message,
        own=from_contact.value,
        other=recipient.value,
        new_state=ConversationState.CLOSED if bulk else None,
        publish=bulk is None,
    )
    attachments = []
    if media:
        policy = MMS_POLICY if channel == Channel.SMS else INTERNAL_MEDIA_POLICY
        # Checks every file first: a refused one stores nothing, the message included. Before
        # the transaction: the storage may be a network service (S3).
        attachments = attachments_write(media, policy=policy)
    # Counted last, once nothing else can refuse it (a 429 when a daily limit is reached).
    quota = sms_quota_take(user=user, now=now) if channel == Channel.SMS else None
    try:
        if attachments:
            with transaction.atomic():
                attachments_save(attachments)
                store()
                _attachments_link(message, attachments)
        else:
            store()
    except BaseException:
        if quota is not None:
            sms_quota_give_back(quota)
        raise
    if channel == Channel.SMS and bulk is None:
        # Its receiver (messaging.signals) enqueues the delivery once this commits: at
        # once, or for the time it is due.
        outbound_message_stored.send(
            sender=Message,
            message_id=message.pk,
            run_after=plan.next_attempt_at if plan.scheduled else None,
        )
    return message


def message_cancel(*, message: Message) -> Message:
    """Cancel a scheduled SMS: it will not be sent; return it as it now stands. Raises
    Conflict once its sending has begun (or for a message that was never scheduled)."""
    return _after_schedule_change(message, sms_outbox.cancel(message.pk))


def message_reschedule(
    *, message: Message, body: str | None = None, send_at: datetime | None = None
) -> Message:
    """Change a scheduled SMS's text, its time, or both; return it as it now stands.
    The new time follows send_at's rules and quiet hours (outbox.scheduling). Raises
    Conflict once its sending has begun: what was sent cannot be changed."""
    changes = {}
    if body is not None:
        changes["body"] = _clean_body(body, has_media=bool(message.num_media))
        changes["num_segments"] = count_segments(changes["body"]).segments
    plan = None
    if send_at is not None:
        plan = send_plan(
            send_at,
            phone=message.to_contact,
            contact_time_zone=functools.partial(contact_time_zone, value=message.to_contact),
        )
        changes.update(plan.times())
    if not changes:
        raise ValidationError("Give a new 'body' or 'send_at'.", field="body")
    moved = sms_outbox.change_scheduled(
        message.pk, changes, due_at=plan.next_attempt_at if plan else None
    )
    return _after_schedule_change(message, moved)


def _after_schedule_change(message: Message, changed: bool) -> Message:
    message.refresh_from_db()
    if not changed:
        raise Conflict(_not_scheduled(message.get_status_display()))
    return message


def _not_scheduled(status: str) -> str:
    return f"Only a scheduled message can be changed or canceled; this one is {status.lower()}."


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
    body = body[:BODY_MAX_LENGTH] if body.strip() else MEDIA_ONLY_BODY
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
                # Twilio's copies need its credentials and do not last: the worker
                # downloads them (message_media_download), from now.
                media_status=MediaStatus.PENDING if media else MediaStatus.NONE,
                next_attempt_at=at if media else None,
                created_at=at,
                delivered_at=at,
            )
            # Counted as inbound, and reopens the conversation if it was snoozed or closed.
            store_message(message, own=recipient.value, other=sender.value, inbound=True)
            if media:
                transaction.on_commit(lambda: inbound_media.enqueue(message.pk), robust=True)
            if keyword in consent.OPT_OUT_KEYWORDS:
                consent.phone_opt_out_by_keyword(phone=sender.value, keyword=keyword)
            elif keyword in consent.OPT_IN_KEYWORDS:
                consent.phone_opt_in(phone=sender.value, keyword=keyword)
    except IntegrityError:
        # The same message id arrived twice at once and the other request stored it first.
        if provider_message_id:
            return Message.objects.get(provider_message_id=provider_message_id), False
        raise
    return message, True


def _inbound_contact(raw: str, *, field: str) -> Party:
    """Read a contact the provider reported; keep what cannot be parsed rather than lose it.

    Short codes ("12345") and alphanumeric sender ids are real senders but no E.164 number.
    """
    try:
        return parse_contact(raw, field=field)
    except ValidationError:
        value = raw.strip()[:CONTACT_MAX_LENGTH]
        if not value:
            raise
        return Party(value, ContactKind.PHONE)


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
            consent.phone_opt_out_by_provider(
                phone=message.to_contact, detail=event.opted_out_reason
            )
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


def _clean_body(body: str, *, has_media: bool = False) -> str:
    if not body or not body.strip():
        if has_media:
            return ""  # an MMS of pictures alone
        raise ValidationError("'body' may not be blank unless media are sent.", field="body")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            f"'body' is {len(body)} characters long; the limit is {BODY_MAX_LENGTH}.",
            field="body",
        )
    if "\x00" in body:
        raise ValidationError("'body' may not contain NUL characters.", field="body")
    return body


def _sms_sender(sender: str | None) -> Party:
    default = SMS_SENDERS.default()
    if default is None:
        raise ValidationError(
            "SMS sending is not configured: set TWILIO_FROM_NUMBER.", field="from"
        )
    if not sender:
        return Party(default, ContactKind.PHONE)
    contact = parse_contact(sender, field="from")
    if not SMS_SENDERS.allows(contact.value):
        raise ValidationError(
            f"'from' must be one of Hatch's sending numbers: {', '.join(SMS_SENDERS.senders())}.",
            field="from",
        )
    return contact


def _internal_sender(sender: str | None, user: AbstractBaseUser | None) -> Party:
    if not sender:
        if user is None or not user.is_authenticated:
            raise ValidationError("'from' is required when no user is signed in.", field="from")
        sender = user.get_full_name() or user.get_username()
        return parse_contact(sender, field="from")
    contact = parse_contact(sender, field="from")
    if contact.kind is not ContactKind.NAME:
        # A phone number or address as the sender of a database-only message would pass
        # it off as something it is not.
        raise ValidationError("'from' of an internal message must be a name.", field="from")
    _refuse_a_teammates_name(contact.value, user)
    return contact


def _refuse_a_teammates_name(name: str, user: AbstractBaseUser | None) -> None:
    """A ``from`` that is another Hatch user's username or full name (in any case, their
    account active or not) would pass the message off as theirs: Forbidden. One's own
    names are one's own to use, and a shared name that is nobody's account ("Front desk")
    is open to everyone. Without a signed-in user (a command), every teammate's name is
    someone else's."""
    owners = users_named(name)
    if not owners:
        return
    if user is not None and user.is_authenticated and any(o.pk == user.pk for o in owners):
        return
    if user is None or not user.is_authenticated:
        raise Forbidden(
            f"'{name}' is a teammate's name, and a message sent without a signed-in user "
            "is nobody's: choose a name that is no one's account (e.g. 'Front desk').",
            field="from",
        )
    raise Forbidden(
        f"'{name}' is another teammate's name: messages are sent under your own name. "
        "Leave 'from' out to send as yourself, or use a shared name that is no one's "
        "account (e.g. 'Front desk').",
        field="from",
    )


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
        # (None only if they texted START a moment ago.)
        refusal = consent.phone_refusal(message.to_contact) or f"{message.to_contact} opted out."
        raise Conflict(f"{refusal} The message was not retried.")
    message.refresh_from_db()
    return message


def _attachments_link(message: Message, attachments: list[Attachment]) -> None:
    MessageAttachment.objects.bulk_create(
        MessageAttachment(message=message, attachment=attachment, position=position)
        for position, attachment in enumerate(attachments)
    )


# Attempts at an inbound MMS's media before those still missing are given up for lost.
MEDIA_DOWNLOAD_MAX_ATTEMPTS = 5


def message_media_download(*, message_id) -> str:
    """Download an inbound MMS's media from the provider into Hatch's storage; return
    "downloaded", "retry", "failed", or "skipped" (no download due: done, given up, not
    due yet, another worker on it, or no such message).

    Each item of ``Message.media`` is fetched with the provider's credentials (Twilio's
    HTTP Basic, through its redirect) under MMS_RECEIVED_POLICY, the MMS's total counted
    across its items, and linked at its index as soon as it is stored: a retry fetches only
    what is still missing. An item refused for good (the provider answers 404 or another
    4xx, a program, more bytes than the MMS may carry) is recorded in ``error_message``;
    one that failed for a while (no answer, 5xx, 429) is tried again after a backoff, up to
    MEDIA_DOWNLOAD_MAX_ATTEMPTS attempts in all. Every network call runs outside a
    transaction; the inbox hears of the result once it is recorded.
    """
    if connection.in_atomic_block:
        raise RuntimeError("A download must never run inside a database transaction.")
    message = _media_download_claim(message_id)
    if message is None:
        return "skipped"
    links = MessageAttachment.objects.filter(message=message).select_related("attachment")
    stored = {link.position: link.attachment.size for link in links}
    refused, failing = [], []
    for position, item in enumerate(message.media):
        if position in stored:
            continue
        budget = MMS_RECEIVED_POLICY.max_total_bytes - sum(stored.values())
        try:
            attachment = _media_item_fetch(item, position=position, budget=budget)
        except FetchError as error:
            (refused if error.permanent else failing).append(f"Media {position + 1}: {error}")
            continue
        except (ValidationError, PayloadTooLarge) as error:
            refused.append(f"Media {position + 1}: {error.message}")
            continue
        try:
            with transaction.atomic():
                MessageAttachment.objects.create(
                    message=message, attachment=attachment, position=position
                )
        except IntegrityError:
            # Another download of this message (one the sweeper took for lost) linked the
            # item first; this copy stays unlinked, and nothing shows it.
            continue
        stored[position] = attachment.size
    return _media_download_record(message, len(stored), refused, failing)


def _media_download_claim(message_id) -> Message | None:
    """Take the message's download if it is due, with one UPDATE: of two workers holding
    the same task only one matches. While it runs, the message is due again only after
    OUTBOX_SENDING_TIMEOUT_SECONDS, the time after which the sweeper takes it for lost."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS)
    claimed = Message.objects.filter(
        id=message_id, media_status=MediaStatus.PENDING, next_attempt_at__lte=now
    ).update(attempt_count=F("attempt_count") + 1, next_attempt_at=lease)
    if not claimed:
        return None
    return Message.objects.only("id", "media", "attempt_count").get(id=message_id)


def _media_item_fetch(item, *, position: int, budget: int) -> Attachment:
    url = item.get("url") if isinstance(item, dict) else None
    if not isinstance(url, str) or not url:
        raise ValidationError("the provider reported no URL for it.")
    # What is left of the MMS's total once the items already stored are counted.
    policy = replace(MMS_RECEIVED_POLICY, max_total_bytes=max(budget, 0))
    try:
        return attachment_fetch(url, auth=inbound_media.auth(url), policy=policy)
    except PayloadTooLarge:
        limit = MMS_RECEIVED_POLICY.max_total_bytes
        raise PayloadTooLarge(
            f"not kept: with it, the MMS's media would come to more than "
            f"{limit / MEGABYTE:g} MB ({limit:,} bytes)."
        ) from None


def _media_download_record(
    message: Message, stored: int, refused: list[str], failing: list[str]
) -> str:
    now = timezone.now()
    retry_at = None
    if stored == len(message.media):
        outcome = "downloaded"
        changes = {"media_status": MediaStatus.DOWNLOADED, "next_attempt_at": None}
        changes["error_message"] = ""
    elif failing and message.attempt_count < MEDIA_DOWNLOAD_MAX_ATTEMPTS:
        outcome = "retry"
        retry_at = now + retry_delay(message.attempt_count)
        changes = {"next_attempt_at": retry_at}
    else:
        outcome = "failed"
        changes = {
            "media_status": MediaStatus.FAILED,
            "next_attempt_at": None,
            "error_message": " ".join([*refused, *failing]),
        }
    with transaction.atomic():
        moved = Message.objects.filter(id=message.id, media_status=MediaStatus.PENDING).update(
            updated_at=now, **changes
        )
        if moved:
            publish_message_changed(message.id)
        if moved and retry_at is not None:
            transaction.on_commit(
                lambda: inbound_media.enqueue(message.id, run_after=retry_at), robust=True
            )
    log = logger.warning if outcome == "failed" else logger.info
    log(
        "Inbound MMS %s media, attempt %s: %s of %s stored; %s",
        message.id,
        message.attempt_count,
        stored,
        len(message.media),
        outcome,
    )
    return outcome


def message_media_sweep() -> int:
    """Enqueue again the media downloads a lost task or a dead worker left behind: inbound
    MMS still pending OUTBOX_QUEUED_GRACE_SECONDS after they were due (a download in
    progress is due again only when its worker is taken for lost). Return how many."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS)
    lost = list(
        Message.objects.filter(media_status=MediaStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=overdue))
        .values_list("id", flat=True)[:10_000]
    )
    # Due from now, so that a task that only waits in a slow queue is not enqueued again
    # on every sweep.
    Message.objects.filter(id__in=lost, media_status=MediaStatus.PENDING).update(
        next_attempt_at=now
    )
    for message_id in lost:
        inbound_media.enqueue(message_id)
    return len(lost)
