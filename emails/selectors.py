"""Every read of email records."""

from django.db.models import QuerySet

from emails.models import Email
from hatch.queries import get_by_uuid


def email_list() -> QuerySet[Email]:
    """Emails, for keyset pagination on (created_at, id)."""
    return Email.objects.all()


def email_get(*, email_id: object) -> Email:
    return get_by_uuid(Email.objects.all(), email_id, noun="email")
