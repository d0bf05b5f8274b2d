"""Every write to email records goes through these functions."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import ValidationError
from core.senders import SenderAllowList
from emails.events import TrackingEvent
from emails.live import publish_email_changed
from emails.models import (
    BODY_MAX_LENGTH,
    RECIPIENTS_MAX,
    STATUS_LADDER,
    SUBJECT_MAX_LENGTH,
    Email,
    EmailEvent,
    EmailStatus,
)
from emails.signals import outbound_email_stored

logger = logging.getLogger(__name__)


def _sender_entry(entry: str) -> str:
    """An allowed sender in its one spelling, lower-case: an address, or a whole domain
    written "@example.com"."""
    try:
        validate_email(f"x{entry}" if entry.startswith("@") else entry)
    except DjangoValidationError:
        raise ValidationError(
            f"{entry!r} is neither an email address nor an '@domain'.", field="from_email"
        ) from None
    return entry.lower()


EMAIL_SENDERS = SenderAllowList(
    "SENDGRID_FROM_EMAIL",
    "SENDGRID_EXTRA_FROM_EMAILS",
    normalise=_sender_entry,
    what="an email address or an '@domain'",
    hint="Write each sender as an address (team@example.com) or a whole domain (@example.com).",
)


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
    caller add headers) and the sender must be on EMAIL_SENDERS (SENDGRID_FROM_EMAIL or
    SENDGRID_EXTRA_FROM_EMAILS). Raises ValidationError naming the field otherwise.

    The email is then sent by the outbox: outbound_email_stored's receiver enqueues its
    delivery once the transaction commits.
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
        # Its one receiver (emails.signals) enqueues the delivery once this commits.
        outbound_email_stored.send(sender=Email, email_id=email.pk)
    return email


def email_events_apply(*, events: list[TrackingEvent]) -> dict[str, int]:
    """Store what the provider reported and move each email's status forward; return counts.

    An event is matched to its email by the Hatch id it carries back, else by the
    provider's message id. Duplicates (the same provider event id, or the same message,
    event, time and recipient) are stored once. Statuses never move backwards
    (STATUS_LADDER): an event for an earlier status is kept and changes nothing.
    """
    counts = {"stored": 0, "duplicates": 0, "unmatched": 0}
    for event in events:
        with transaction.atomic():
            email = _email_for_event(event)
            try:
                with transaction.atomic():
                    EmailEvent.objects.create(
                        email=email,
                        event=event.event,
                        provider_event_id=event.provider_event_id,
                        provider_message_id=event.reported_message_id,
                        recipient=event.recipient,
                        occurred_at=event.occurred_at,
                        payload=event.payload,
                    )
            except IntegrityError:
                counts["duplicates"] += 1
                continue
            counts["stored"] += 1
            if email is None:
                counts["unmatched"] += 1
                logger.info("Email %s event for an unknown email", event.event)
                continue
            _email_apply_event(email, event)
    return counts


def _email_for_event(event: TrackingEvent) -> Email | None:
    emails = Email.objects.select_for_update()
    if event.email_id is not None:
        email = emails.filter(id=event.email_id).first()
        if email is not None:
            return email
    if not event.provider_message_id:
        return None
    return emails.filter(provider_message_id=event.provider_message_id).first()


def _email_apply_event(email: Email, event: TrackingEvent) -> None:
    if not STATUS_LADDER.advances(email.status, event.status):
        return
    email.status = event.status
    changed = ["status", "updated_at"]
    if event.status == EmailStatus.SENT:
        # The provider has the email, whether or not its worker lived to record the send.
        email.sent_at = email.sent_at or event.occurred_at
        changed.append("sent_at")
        if not email.provider_message_id and event.provider_message_id:
            email.provider_message_id = event.provider_message_id
            changed.append("provider_message_id")
    elif event.status == EmailStatus.DELIVERED:
        email.delivered_at = event.occurred_at
        changed.append("delivered_at")
    elif event.reason:
        email.error_message = event.reason
        changed.append("error_message")
    email.save(update_fields=changed)
    publish_email_changed(email.pk)


def _sender(from_email: str | None) -> str:
    if not from_email:
        default = EMAIL_SENDERS.default()
        if not default:
            raise ValidationError(
                "Email sending is not configured: set SENDGRID_FROM_EMAIL.", field="from_email"
            )
        return default
    address = _address(from_email, field="from_email")
    # The list is lower-case; the address is stored as written, but for its domain.
    if not EMAIL_SENDERS.allows(address.lower()):
        raise ValidationError(
            f"'from_email' must be an allowed sender: {', '.join(EMAIL_SENDERS.senders())}.",
            field="from_email",
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
