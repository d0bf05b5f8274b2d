"""The JSON shape of emails, built from plain rows.

The API (list, detail, the send answer) and the inbox's live events answer with these
shapes, built from ``QuerySet.values()`` rows (or the row of a record in hand) rather than
through DRF serializers. The serializers in emails.api document the same shapes for the
OpenAPI schema; emails/tests/test_representation.py holds the two together.

Ids stay UUIDs here (web.renderers writes them as canonical strings). Times are written
here, as the API has always written them (REST_FRAMEWORK's DATETIME_FORMAT, in the current
time zone): the renderer would leave out the ".000000" of a whole second, and SendGrid
reports every time in whole seconds.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from rest_framework.fields import DateTimeField

from attachments.representation import ATTACHMENT_FIELDS, attachment_data
from attachments.selectors import attachment_download_url
from conversations.representation import TEAM_STATE_COLUMNS, team_state_data
from conversations.selectors import people_by_id
from core.serialization import row_of
from emails.html import remote_image_count, sanitise_email_html
from emails.models import Email, EmailAttachment
from outbox.scheduling import schedule_data
from team.selectors import display_name

# The columns each shape reads: fetch exactly these with .values(*FIELDS).
EMAIL_FIELDS = (
    "id",
    "to_email",
    "from_email",
    "subject",
    "body",
    "html_content",
    "cc",
    "bcc",
    "reply_to",
    "attachment_count",
    "refused_attachments",
    "status",
    "provider_message_id",
    "error_code",
    "error_message",
    "created_at",
    "sent_at",
    "delivered_at",
    "updated_at",
    "direction",
    "thread_id",
    "scheduled_for",
    "next_attempt_at",
    # Who sent it, named in one more query per page (email_senders).
    "sent_by_id",
)
EMAIL_EVENT_FIELDS = ("event", "occurred_at", "recipient")
# An email in its thread: what every email answer has, and what threads it.
THREAD_EMAIL_FIELDS = (*EMAIL_FIELDS, "from_name", "message_id", "in_reply_to")
# An email thread (a conversations.Conversation with channel "email") and its contact,
# with what the team does with it, all columns of its own row. As the API answers one
# user, a thread shape also needs their ``unread_count``
# (conversations.selectors.with_unread_count).
EMAIL_THREAD_FIELDS = (
    "id",
    "subject",
    "reply_to",
    "own_contact",
    "contact_id",
    "contact_name",
    "last_message_at",
    "message_count",
    "last_message_preview",
    *TEAM_STATE_COLUMNS,
)

# DRF's own field, so that a time reads exactly as the serializers write it.
_time = DateTimeField().to_representation


def emails_data(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``email_data`` of each row, with its files and its sender: one query for the rows
    that have files, none when no row does; one for who sent them (email_senders)."""
    rows = list(rows)
    links = email_attachment_links(rows)
    senders = email_senders(rows)
    return [
        email_data(row, links.get(row["id"], ()), sent_by=sent_by(row, senders)) for row in rows
    ]


def email_senders(rows: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """``{"id", "name"}`` of the teammates who sent these emails, by id: one query, none
    when nobody did (received emails) or the rows name them already (``email_row``)."""
    return people_by_id(
        row["sent_by_id"] for row in rows if row["sent_by_id"] is not None and "sent_by" not in row
    )


def sent_by(row: dict[str, Any], senders: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    """Who sent the email of ``row``: named in the row (``email_row``) or in ``senders``."""
    return row.get("sent_by") or senders.get(row["sent_by_id"])


def email_row(email: Email, fields: tuple[str, ...] = EMAIL_FIELDS) -> dict[str, Any]:
    """The row of an email in hand, as ``.values(*fields)`` reads it, with its sender
    named (``sent_by``) when the record holds them already, as a send's does."""
    row = row_of(email, fields)
    if email.sent_by_id is not None and Email.sent_by.is_cached(email):
        row["sent_by"] = {"id": email.sent_by_id, "name": display_name(email.sent_by)}
    return row


def email_attachment_links(rows: Iterable[dict[str, Any]]) -> dict[Any, list[EmailAttachment]]:
    """The files of these emails (rows with ``id`` and ``attachment_count``), each link with
    its attachment, in order, by email id."""
    links = defaultdict(list)
    email_ids = [row["id"] for row in rows if row["attachment_count"]]
    if not email_ids:
        return links
    found = (
        EmailAttachment.objects.filter(email_id__in=email_ids)
        .select_related("attachment")
        .only(
            "email",
            "content_id",
            "attachment",
            *(f"attachment__{name}" for name in ATTACHMENT_FIELDS),
        )
        .order_by("email_id", "position")
    )
    for link in found:
        links[link.email_id].append(link)
    return links


def email_data(
    row: dict[str, Any],
    links: Iterable[EmailAttachment] = (),
    *,
    sent_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One email; ``links``: its files, in order, and ``sent_by``: the teammate who sent
    it, ``{"id", "name"}`` (see emails_data). ``refused_attachments``: what a received
    email carried that Hatch did not keep, each with the reason."""
    return {
        "id": row["id"],
        "to_email": row["to_email"],
        "from_email": row["from_email"],
        "subject": row["subject"],
        "body": row["body"],
        "html_content": row["html_content"],
        "cc": row["cc"],
        "bcc": row["bcc"],
        "reply_to": row["reply_to"],
        "attachments": [attachment_data(link.attachment) for link in links],
        "refused_attachments": row["refused_attachments"],
        "status": row["status"],
        "external_sid": row["provider_message_id"],
        "error_code": row["error_code"],
        "error_message": row["error_message"],
        "timestamp": _time(row["created_at"]),
        "sent_at": _time(row["sent_at"]),
        "delivered_at": _time(row["delivered_at"]),
        "updated_at": _time(row["updated_at"]),
        "direction": row["direction"],
        "thread_id": row["thread_id"],
        "sent_by": sent_by,
        **schedule_data(row, time=_time),
    }


def email_detail_data(row: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """One email with what its provider reported about it (``events`` oldest first)."""
    return {**emails_data([row])[0], "events": [email_event_data(event) for event in events]}


def email_event_data(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": row["event"],
        "occurred_at": _time(row["occurred_at"]),
        "recipient": row["recipient"],
    }


def email_thread_data(row: dict[str, Any]) -> dict[str, Any]:
    """A thread as every inbox sees it (the live events): its summary, never its emails,
    and no one user's unread count but its ``inbound_count``."""
    return {
        "id": row["id"],
        "subject": row["subject"],
        # The other party first (who a reply goes to), then Hatch's own address.
        "participants": [row["reply_to"], row["own_contact"]],
        "contact": (
            {"id": row["contact_id"], "name": row["contact_name"] or ""}
            if row["contact_id"] is not None
            else None
        ),
        "last_message_at": _time(row["last_message_at"]),
        "message_count": row["message_count"],
        "preview": row["last_message_preview"],
        **team_state_data(row),
    }


def email_thread_data_for_user(row: dict[str, Any]) -> dict[str, Any]:
    """A thread as the thread list answers the requesting user: with their
    ``unread_count``."""
    data = email_thread_data(row)
    data["unread_count"] = row["unread_count"]
    return data


def thread_email_data(
    row: dict[str, Any],
    links: Iterable[EmailAttachment] = (),
    *,
    allow_remote_images: bool,
    sent_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An email in its thread: the email answer, with who sent it and how it threads, and
    its HTML made safe to show (``email_html_safe``). ``html_content`` stays as received.
    ``links``: its files, in order (email_attachment_links); ``sent_by``: the teammate who
    sent it (email_senders)."""
    links = list(links)
    safe_html, blocked = email_html_safe(
        row["html_content"], links, allow_remote_images=allow_remote_images
    )
    return {
        **email_data(row, links, sent_by=sent_by),
        "from_name": row["from_name"],
        "message_id": row["message_id"],
        "in_reply_to": row["in_reply_to"],
        "html_content_safe": safe_html,
        "remote_images_blocked": blocked,
    }


def email_html_safe(
    html: str, links: Iterable[EmailAttachment], *, allow_remote_images: bool
) -> tuple[str, int]:
    """``html`` safe to show (emails.html: no script, no form, no remote image unless
    ``allow_remote_images``; its inline cid: images shown from the files Hatch stored for
    them, ``links``), and how many remote images it left out."""
    if not html:
        return "", 0
    inline_images = {
        link.content_id: attachment_download_url(link.attachment)
        for link in links
        if link.content_id
    }
    safe = sanitise_email_html(
        html, inline_images=inline_images, allow_remote_images=allow_remote_images
    )
    return safe, 0 if allow_remote_images else remote_image_count(html)


def email_thread_detail_data(
    row: dict[str, Any], emails: list[dict[str, Any]], *, allow_remote_images: bool
) -> dict[str, Any]:
    """A thread with its emails (``emails``: THREAD_EMAIL_FIELDS rows, oldest first), for
    the requesting user (``row`` has their ``unread_count``)."""
    links = email_attachment_links(emails)
    senders = email_senders(emails)
    return {
        **email_thread_data_for_user(row),
        "emails": [
            thread_email_data(
                email,
                links.get(email["id"], ()),
                allow_remote_images=allow_remote_images,
                sent_by=sent_by(email, senders),
            )
            for email in emails
        ],
    }
