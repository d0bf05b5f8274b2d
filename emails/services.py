"""Every write to email records goes through these functions."""

import logging
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from emails.events import publish_email_changed
from emails.models import (
    BODY_MAX_LENGTH,
    RECIPIENTS_MAX,
    STATUS_RANK,
    SUBJECT_MAX_LENGTH,
    Email,
    EmailEvent,
    EmailStatus,
)
from emails.providers.sendgrid import EVENT_STATUS_MAP, HATCH_ID_ARG
from hatch.errors import ValidationError

logger = logging.getLogger(__name__)


def email_send(
    *,
    to_email: str,
    subject: str,
    body: str,
    from_email: str | None = None,
    html_content: str = "",
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    reply_to: str = "",
    user: AbstractBaseUser | None = None,
) -> Email:
    """Accept an outbound email and store it ``queued``; return the stored record.

    Every address is validated, the subject must be one line (a line break would let a
    caller add headers) and the sender must be SENDGRID_FROM_EMAIL or one of
    SENDGRID_EXTRA_FROM_EMAILS. Raises ValidationError naming the field otherwise.
    """
    recipient = _address(to_email, field="to_email")
    sender = _sender(from_email)
    subject = _subject(subject)
    for name, text in (("body", body), ("html_content", html_content)):
        if len(text) > BODY_MAX_LENGTH:
            raise ValidationError(
                f"'{name}' is too long: at most {BODY_MAX_LENGTH} characters.", field=name
            )
        if "\x00" in text:
            raise ValidationError(f"'{name}' may not contain NUL characters.", field=name)
    if not body.strip() and not html_content.strip():
        raise ValidationError("'body' may not be blank.", field="body")

    with transaction.atomic():
        email = Email.objects.create(
            to_email=recipient,
            from_email=sender,
            subject=subject,
            body=body,
            html_content=html_content,
            cc=_address_list(cc, field="cc"),
            bcc=_address_list(bcc, field="bcc"),
            reply_to=_address(reply_to, field="reply_to") if reply_to else "",
            status=EmailStatus.QUEUED,
            next_attempt_at=timezone.now(),
            sent_by=user if user is not None and user.is_authenticated else None,
        )
        publish_email_changed(email.pk, created=True)
    return email


def email_deliver(*, email_id: str) -> str:
    """Send one queued email through its provider (the task's body; see hatch.delivery)."""
    from emails.delivery import email_outbox

    return email_outbox.deliver(email_id)


def email_events_apply(*, events: list[dict]) -> dict[str, int]:
    """Store SendGrid events and move each email's status forward; return counts.

    An event is matched to its email by the Hatch id sent in custom_args, else by the
    X-Message-Id that prefixes sg_message_id. Duplicates (same sg_event_id, or same message,
    event, time and recipient) are stored once. Statuses never move backwards.
    """
    counts = {"stored": 0, "duplicates": 0, "unmatched": 0}
    for event in events:
        with transaction.atomic():
            email = _email_for_event(event)
            try:
                with transaction.atomic():
                    EmailEvent.objects.create(
                        email=email,
                        event=str(event.get("event", ""))[:32],
                        provider_event_id=str(event.get("sg_event_id") or "")[:128] or None,
                        provider_message_id=str(event.get("sg_message_id") or "")[:256],
                        recipient=str(event.get("email") or "")[:254],
                        occurred_at=_event_time(event.get("timestamp")),
                        payload=event,
                    )
            except IntegrityError:
                counts["duplicates"] += 1
                continue
            counts["stored"] += 1
            if email is None:
                counts["unmatched"] += 1
                logger.info("SendGrid %s event for an unknown email", event.get("event"))
                continue
            _email_apply_event(email, event)
    return counts


def _email_for_event(event: dict) -> Email | None:
    emails = Email.objects.select_for_update()
    try:
        hatch_id = uuid.UUID(str(event.get(HATCH_ID_ARG, "")))
    except ValueError:
        hatch_id = None
    if hatch_id is not None:
        email = emails.filter(id=hatch_id).first()
        if email is not None:
            return email
    message_id = _x_message_id(event)
    return emails.filter(provider_message_id=message_id).first() if message_id else None


def _x_message_id(event: dict) -> str:
    # sg_message_id is the X-Message-Id followed by ".filter..." routing details.
    return str(event.get("sg_message_id") or "").split(".", 1)[0]


def _email_apply_event(email: Email, event: dict) -> None:
    new_status = EVENT_STATUS_MAP.get(str(event.get("event")))
    if new_status is None or STATUS_RANK[new_status] <= STATUS_RANK[email.status]:
        return
    email.status = new_status
    changed = ["status", "updated_at"]
    if new_status == EmailStatus.SENT:
        email.sent_at = email.sent_at or _event_time(event.get("timestamp"))
        changed.append("sent_at")
        if not email.provider_message_id and (message_id := _x_message_id(event)):
            email.provider_message_id = message_id
            changed.append("provider_message_id")
    elif new_status == EmailStatus.DELIVERED:
        email.delivered_at = _event_time(event.get("timestamp"))
        changed.append("delivered_at")
    elif reason := event.get("reason") or event.get("response"):
        email.error_message = str(reason)
        changed.append("error_message")
    email.save(update_fields=changed)
    publish_email_changed(email.pk)


def _event_time(timestamp) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def email_senders() -> list[str]:
    """Allowed senders: full addresses, or whole domains written as "@example.com"."""
    configured = [settings.SENDGRID_FROM_EMAIL, *settings.SENDGRID_EXTRA_FROM_EMAILS]
    return [entry.strip().lower() for entry in configured if entry.strip()]


def _sender(from_email: str | None) -> str:
    if not from_email:
        default = settings.SENDGRID_FROM_EMAIL.strip().lower()
        if not default:
            raise ValidationError(
                "Email sending is not configured: set SENDGRID_FROM_EMAIL.", field="from_email"
            )
        return default
    address = _address(from_email, field="from_email")
    allowed = email_senders()
    domain = "@" + address.rsplit("@", 1)[1]
    if address.lower() not in allowed and domain not in allowed:
        raise ValidationError(
            f"'from_email' must be an allowed sender: {', '.join(allowed)}.", field="from_email"
        )
    return address


def _address(raw: str, *, field: str) -> str:
    address = (raw or "").strip()
    if not address:
        raise ValidationError(f"'{field}' may not be blank.", field=field)
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationError(
            f"'{field}' is not a valid email address: {address!r}.", field=field
        ) from None
    # The domain part is case-insensitive; keeping one spelling makes addresses comparable.
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _address_list(raw: list[str] | None, *, field: str) -> list[str]:
    addresses = [_address(item, field=field) for item in raw or []]
    if len(addresses) > RECIPIENTS_MAX:
        raise ValidationError(
            f"'{field}' may list at most {RECIPIENTS_MAX} addresses.", field=field
        )
    return addresses


def _subject(subject: str) -> str:
    if "\r" in subject or "\n" in subject:
        raise ValidationError("'subject' must be a single line.", field="subject")
    subject = subject.strip()
    if not subject:
        raise ValidationError("'subject' may not be blank.", field="subject")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ValidationError(
            f"'subject' is too long: at most {SUBJECT_MAX_LENGTH} characters.", field="subject"
        )
    return subject


def emails_retry_failed(
    *,
    ids: list[uuid.UUID | str] | None = None,
    error_code: str | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
) -> list[uuid.UUID]:
    """Put failed emails back in the queue, due now; enqueue each after commit.

    Returns the ids re-queued (in a dry run: that would be). Only ``failed`` emails are
    considered, narrowed by ``ids``, ``error_code`` (SendGrid's HTTP status, e.g. "401")
    and ``since`` (failed, that is last changed, at or after that time).

    As for SMS (messaging.services.messages_retry_failed), the email gets a fresh attempt
    budget and loses the columns that describe the previous try; its attempts and events
    keep the history. With ``dry_run`` nothing changes.
    """
    from emails.delivery import email_outbox

    failed = Email.objects.filter(status=EmailStatus.FAILED)
    if ids is not None:
        failed = failed.filter(id__in=ids)
    if error_code not in (None, ""):
        failed = failed.filter(error_code=str(error_code))
    if since is not None:
        failed = failed.filter(updated_at__gte=since)

    with transaction.atomic():
        # Locked, so that two retries of the same emails at once re-queue each one once.
        requeued = list(
            (failed if dry_run else failed.select_for_update())
            .order_by("created_at", "id")
            .values_list("id", flat=True)
        )
        if requeued and not dry_run:
            email_outbox.requeue(requeued, error_code="", provider_response=None)
    return requeued


def emails_sweep_outbox() -> dict[str, int]:
    """Re-enqueue lost queued emails and re-queue those stuck in "sending" (hatch.delivery)."""
    from emails.delivery import email_outbox

    return email_outbox.sweep()
