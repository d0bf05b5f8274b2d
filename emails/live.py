"""The inbox events emails publish (see core.realtime).

``email.created`` and ``email.updated`` carry the email as the API shows it; a new email
(sent or received) also carries its thread's summary as ``thread``, in the shape of
``GET /api/email_threads`` as every inbox sees it (its ``inbound_count``, never one user's
``unread_count``). ``email_thread.updated`` carries a thread whose summary changed without
a new email (what the team does with it: conversations.services).
"""

from conversations.models import Conversation
from core.realtime import publish_on_commit
from emails.models import Email
from emails.representation import (
    EMAIL_FIELDS,
    EMAIL_THREAD_FIELDS,
    email_thread_data,
    emails_data,
)

_JOINED_THREAD_FIELDS = tuple(f"thread__{name}" for name in EMAIL_THREAD_FIELDS)


def publish_email_changed(email_id, *, created: bool = False) -> None:
    """An email was stored, or its status changed: the inbox gets it as the API shows it,
    with its thread's summary when it is new (a status change leaves the summary as it was)."""

    def build():
        fields = (*EMAIL_FIELDS, *_JOINED_THREAD_FIELDS) if created else EMAIL_FIELDS
        row = Email.objects.filter(pk=email_id).values(*fields).first()
        if row is None:
            return None
        event = {
            "type": "email.created" if created else "email.updated",
            "email": emails_data([row])[0],
        }
        if created and row["thread_id"] is not None:
            thread = {name: row[f"thread__{name}"] for name in EMAIL_THREAD_FIELDS}
            event["thread"] = email_thread_data(thread)
        return event

    publish_on_commit(build)


def publish_email_thread_changed(thread_id) -> None:
    """A thread's summary changed without a new email in it (its state, assignee or
    labels)."""

    def build():
        row = Conversation.objects.filter(pk=thread_id).values(*EMAIL_THREAD_FIELDS).first()
        if row is None:
            return None
        return {"type": "email_thread.updated", "thread": email_thread_data(row)}

    publish_on_commit(build)
