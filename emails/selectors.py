"""Every read of email records."""

from django.db.models import QuerySet

from core.queries import get_by_uuid
from emails.models import Email, EmailEvent


def email_list() -> QuerySet[Email]:
    """Emails, for keyset pagination on (created_at, id)."""
    return Email.objects.all()


def email_get(*, email_id: object) -> Email:
    return get_by_uuid(Email.objects.all(), email_id, noun="email")


def email_events(*, email: Email) -> QuerySet[EmailEvent]:
    """What the provider reported about ``email``, oldest first."""
    return EmailEvent.objects.filter(email=email).order_by("occurred_at", "id")
