"""The inbox events emails publish (see hatch.realtime)."""

from hatch.realtime import publish_on_commit


def publish_email_changed(email_id, *, created: bool = False) -> None:
    def build():
        from emails.api import EmailSerializer
        from emails.models import Email

        email = Email.objects.filter(pk=email_id).first()
        if email is None:
            return None
        return {
            "type": "email.created" if created else "email.updated",
            "email": EmailSerializer(email).data,
        }

    publish_on_commit(build)
