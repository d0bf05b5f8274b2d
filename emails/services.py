"""Every write to email records goes through these functions."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from emails.models import BODY_MAX_LENGTH, RECIPIENTS_MAX, SUBJECT_MAX_LENGTH, Email, EmailStatus
from hatch.errors import ValidationError


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
        return Email.objects.create(
            to_email=recipient,
            from_email=sender,
            subject=subject,
            body=body,
            html_content=html_content,
            cc=_address_list(cc, field="cc"),
            bcc=_address_list(bcc, field="bcc"),
            reply_to=_address(reply_to, field="reply_to") if reply_to else "",
            status=EmailStatus.QUEUED,
            sent_by=user if user is not None and user.is_authenticated else None,
        )


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
