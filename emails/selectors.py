"""Every read of email records and email threads."""

import functools
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from contacts.timeline import Cursor, TimelineItem
from contacts.timeline import preview as timeline_preview
from conversations.models import Conversation, ConversationChannel
from conversations.selectors import (
    team_filtered,
    with_unread_count,
)
from core import search
from core.queries import get_by_uuid
from emails.models import SEARCHED_TEXT, Email, EmailDirection, EmailEvent, EmailStatus
from emails.representation import EMAIL_THREAD_FIELDS


def email_list() -> QuerySet[Email]:
    """Emails, for keyset pagination on (created_at, id)."""
    return Email.objects.all()


def email_get(*, email_id: object) -> Email:
    return get_by_uuid(Email.objects.all(), email_id, noun="email")


def email_events(*, email: Email) -> QuerySet[EmailEvent]:
    """What the provider reported about ``email``, oldest first."""
    return EmailEvent.objects.filter(email=email).order_by("occurred_at", "id")


@functools.cache
def _thread_rows() -> QuerySet:
    """Email threads as rows of EMAIL_THREAD_FIELDS, resolved once per process (as
    messaging.selectors' conversation rows). Never evaluated itself: every use chains."""
    return Conversation.objects.filter(channel=ConversationChannel.EMAIL).values(
        *EMAIL_THREAD_FIELDS
    )


def email_thread_list(
    *,
    user: AbstractBaseUser,
    query: str = "",
    status: str = "",
    state: str = "",
    assignee: str = "",
    label: str = "",
) -> QuerySet:
    """Email threads as rows of EMAIL_THREAD_FIELDS and ``user``'s own ``unread_count``,
    for keyset pagination on
    (last_message_at, id) (email_thread_activity_idx).

    Reads the summary columns only (and, per row, the user's read mark). ``query`` matches
    the subject, either participant or the preview of the newest email, in any case;
    ``status`` "scheduled" keeps threads with an email waiting to go.
    ``state``, ``assignee`` and ``label`` are the team-state filters
    (conversations.selectors.team_filtered: a ValidationError for an unusable value).
    """
    threads = team_filtered(
        _thread_rows(),
        user=user,
        state=state,
        assignee=assignee,
        label=label,
    )
    threads = with_unread_count(threads, user=user)
    if status == "scheduled":
        # Through the partial index of the few emails waiting (email_outbox_idx).
        threads = threads.filter(
            Exists(Email.objects.filter(thread=OuterRef("pk"), status=EmailStatus.SCHEDULED))
        )
    query = search.clean(query)
    if not query:
        return threads
    # The words of every email through the full-text index of emails (core.search), once
    # for the whole list.
    texts = search.text_matches(Email.objects.all(), SEARCHED_TEXT, query)
    return threads.filter(
        Q(contact_name__icontains=query)
        | Q(participant_a__icontains=query)
        | Q(participant_b__icontains=query)
        | Q(id__in=Subquery(texts.values("thread_id").distinct()))
    )


def email_thread_summary_get(*, thread_id: object, user: AbstractBaseUser) -> dict:
    """One email thread's summary row as the representation reads it for ``user`` (their
    unread count, its assignee's name, its labels): one query. NotFound for an unknown
    id, a malformed one, or the id of an SMS conversation."""
    threads = with_unread_count(_thread_rows(), user=user)
    return get_by_uuid(threads, thread_id, noun="email thread")


def email_thread_emails(*, thread_id: object) -> QuerySet[Email]:
    """A thread's emails, oldest first (email_thread_idx)."""
    return Email.objects.filter(thread_id=thread_id).order_by("created_at", "id")


def contact_timeline_emails(
    *, contact_id: uuid.UUID, before: Cursor | None, limit: int
) -> list[TimelineItem]:
    """The contacts app's timeline source for emails: those of the threads whose contact
    is ``contact_id``, newest first (contacts.timeline)."""
    emails = Email.objects.filter(
        thread_id__in=Conversation.objects.filter(contact_id=contact_id).values("id")
    )
    if before is not None:
        moment, row_id = before
        emails = emails.filter(
            Q(created_at__lte=moment) & (Q(created_at__lt=moment) | Q(id__lt=row_id))
        )
    rows = emails.order_by("-created_at", "-id").values(
        "id",
        "direction",
        "status",
        "created_at",
        "from_email",
        "to_email",
        "subject",
        "body",
        "thread_id",
    )[:limit]
    return [
        {
            "id": row["id"],
            "channel": "email",
            "direction": "inbound" if row["direction"] == EmailDirection.INBOUND else "outbound",
            "status": row["status"],
            "created_at": row["created_at"],
            "from": row["from_email"],
            "to": row["to_email"],
            "subject": row["subject"],
            "body": timeline_preview(row["body"]),
            "conversation_id": None,
            "thread_id": row["thread_id"],
        }
        for row in rows
    ]
