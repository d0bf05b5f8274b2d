"""The inbox events emails publish (see core.realtime)."""

from core.realtime import publish_on_commit
from emails.models import Email
from emails.representation import EMAIL_FIELDS, email_data


def publish_email_changed(email_id, *, created: bool = False) -> None:
    """An email was stored, or its status changed: the inbox gets it as the API shows it."""

    def build():
        row = Email.objects.filter(pk=email_id).values(*EMAIL_FIELDS).first()
        if row is None:
            return None
        return {"type": "email.created" if created else "email.updated", "email": email_data(row)}

    publish_on_commit(build)
