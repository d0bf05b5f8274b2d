"""The reads of an export: every message of a range, both channel apps' tables merged into
one stream of CSV rows, oldest first; how many there are; an export job for its owner.

Oldest first because an export is read as a log (a spreadsheet sorted by time, an import
elsewhere); both tables are read in that order and merged on ``(created_at, id)``.

Each table is read in keyset chunks of ``chunk_size`` rows on ``(created_at, id)``: one
query per chunk and table, each its own short statement through the table's
``(created_at, id)`` index (message_recent_idx, email_recent_idx, scanned backwards), so
that memory holds two chunks whatever the size of the export. Not a server-side cursor:
connections come from a pool (hatch.settings DATABASES), and a named cursor would hold one
transaction open for the whole export. The price: each chunk sees the database as it is
when it runs, so a message whose status changes during an export is written as it was
when its chunk was read. No row is written twice (the keyset only moves forward), and
messages stored meanwhile are after the range's end (at the latest, when the export was
asked for), so they are not in it.
"""

import heapq
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from core.csv_cells import csv_cell
from core.errors import NotFound
from core.queries import get_by_uuid
from emails.models import Email
from exports.models import ExportChannel, ExportJob
from exports.ranges import ExportRange
from messaging.models import Direction, Message
from team.selectors import is_team_admin

# Rows per query and table. A few thousand: at 1M messages a chunk's query takes about
# 16 ms for 5,000 rows (EXPLAIN ANALYZE: the index range, the conversation and the sender
# joined by key), against about 90 ms of Python to write them, and two chunks of rows stay
# a few MB (bench/export_memory.py measures the whole).
CHUNK_SIZE = 5000

# The columns, in order (documented in exports.api's OpenAPI description).
COLUMNS = (
    "id",
    "created_at",
    "channel",
    "direction",
    "status",
    "conversation_id",
    "contact_id",
    "contact_name",
    "from",
    "to",
    "subject",
    "body",
    "error_code",
    "error_message",
    "sent_by",
    "sent_at",
    "delivered_at",
)

# What each table's query reads, positionally. Both start with (created_at, id): the merge
# key, which is also the keyset cursor.
_MESSAGE_FIELDS = (
    "created_at",
    "id",
    "channel",
    "direction",
    "status",
    "conversation_id",
    "conversation__contact_id",
    "conversation__contact_name",
    "from_contact",
    "to_contact",
    "body",
    "error_code",
    "error_message",
    "sent_by__first_name",
    "sent_by__last_name",
    "sent_by__username",
    "sent_at",
    "delivered_at",
)
_EMAIL_FIELDS = (
    "created_at",
    "id",
    "direction",
    "status",
    "thread_id",
    "thread__contact_id",
    "thread__contact_name",
    "from_email",
    "to_email",
    "subject",
    "body",
    "error_code",
    "error_message",
    "sent_by__first_name",
    "sent_by__last_name",
    "sent_by__username",
    "sent_at",
    "delivered_at",
)
# SMS directions in Twilio's words ("outbound-api"); emails already say these.
_DIRECTIONS = {Direction.OUTBOUND: "outbound", Direction.INBOUND: "inbound"}
_EMAIL = ExportChannel.EMAIL.value


def message_export_rows(
    export_range: ExportRange, *, chunk_size: int | None = None
) -> Iterator[list[str]]:
    """Every message of the range as a row of ``COLUMNS``, oldest first, each cell safe to
    open in a spreadsheet (core.csv_cells). Lazy: it reads as it is iterated, ``chunk_size``
    rows per query (default CHUNK_SIZE)."""
    chunk_size = chunk_size or CHUNK_SIZE
    sources = []
    messages, emails = _querysets(export_range)
    if messages is not None:
        sources.append(map(_message_row, _chunked(messages, _MESSAGE_FIELDS, chunk_size)))
    if emails is not None:
        sources.append(map(_email_row, _chunked(emails, _EMAIL_FIELDS, chunk_size)))
    # Each source yields (created_at, id, row); a tie on time is broken by id, as the
    # keyset orders each table.
    for _, _, row in heapq.merge(*sources, key=lambda item: (item[0], item[1])):
        yield row


def message_export_count(export_range: ExportRange, *, up_to: int | None = None) -> int:
    """How many rows the export holds; with ``up_to``, counting stops there (the answer is
    then at most ``up_to`` per table): enough to tell a large export from a small one in
    a bounded time, whatever the size of the tables.

    Bounded, it walks the table's ``(created_at, id)`` index in its order, which makes it
    an index-only scan of ``up_to`` entries at most (measured at 1M messages: 80 ms for
    200,001). Unordered, PostgreSQL may choose a sequential scan instead, which with a
    LIMIT reads until it has found that many rows: the whole table for a recent range.
    """
    total = 0
    for queryset in _querysets(export_range):
        if queryset is None:
            continue
        if up_to is not None:
            queryset = queryset.order_by("-created_at", "-id")[:up_to]
        total += queryset.count()
    return total


def export_job_get(*, job_id: object, user: AbstractBaseUser) -> ExportJob:
    """The job, for the person who asked for it or a team admin; NotFound for anyone else,
    as for an id that names nothing (an id tells nobody else that an export exists)."""
    job = get_by_uuid(ExportJob.objects.all(), job_id, noun="export")
    if job.requested_by_id != user.pk and not is_team_admin(user):
        raise NotFound("No export with this id.")
    return job


def _querysets(export_range: ExportRange) -> tuple[QuerySet | None, QuerySet | None]:
    """(messages, emails) of the range: None for a table the channel leaves out."""
    window = Q(created_at__lt=export_range.end)
    if export_range.start is not None:
        window &= Q(created_at__gte=export_range.start)
    channel = export_range.channel
    messages = emails = None
    if channel != ExportChannel.EMAIL:
        messages = Message.objects.filter(window).order_by()
        if channel:
            messages = messages.filter(channel=channel)
    if channel in ("", ExportChannel.EMAIL):
        emails = Email.objects.filter(window).order_by()
    return messages, emails


def _chunked(queryset: QuerySet, fields: tuple[str, ...], chunk_size: int) -> Iterator[tuple]:
    """The rows of ``queryset`` as tuples of ``fields`` (created_at and id first), oldest
    first, one query per ``chunk_size`` rows."""
    after: tuple[datetime, Any] | None = None
    while True:
        page = queryset
        if after is not None:
            moment, row_id = after
            # The first condition bounds the index range; the second breaks ties on time.
            page = page.filter(
                Q(created_at__gte=moment) & (Q(created_at__gt=moment) | Q(id__gt=row_id))
            )
        rows = list(page.order_by("created_at", "id").values_list(*fields)[:chunk_size])
        yield from rows
        if len(rows) < chunk_size:
            return
        after = rows[-1][0], rows[-1][1]


def _message_row(values: tuple) -> tuple[datetime, Any, list[str]]:
    (
        created_at, row_id, channel, direction, status, conversation_id, contact_id,
        contact_name, from_contact, to_contact, body, error_code, error_message,
        first_name, last_name, username, sent_at, delivered_at,
    ) = values  # fmt: skip
    # Hatch's own values (ids, times, words of its vocabularies, a number) as they are;
    # what people and providers wrote through csv_cell.
    return (
        created_at,
        row_id,
        [
            str(row_id),
            _when(created_at),
            channel,
            _DIRECTIONS.get(direction, direction),
            status,
            str(conversation_id),
            _text(contact_id),
            csv_cell(contact_name),
            csv_cell(from_contact),
            csv_cell(to_contact),
            "",  # subject
            csv_cell(body),
            _text(error_code),
            csv_cell(error_message),
            csv_cell(_name(first_name, last_name, username)),
            _when(sent_at),
            _when(delivered_at),
        ],
    )


def _email_row(values: tuple) -> tuple[datetime, Any, list[str]]:
    (
        created_at, row_id, direction, status, thread_id, contact_id, contact_name,
        from_email, to_email, subject, body, error_code, error_message, first_name,
        last_name, username, sent_at, delivered_at,
    ) = values  # fmt: skip
    return (
        created_at,
        row_id,
        [
            str(row_id),
            _when(created_at),
            _EMAIL,
            direction,
            status,
            _text(thread_id),
            _text(contact_id),
            csv_cell(contact_name),
            csv_cell(from_email),
            csv_cell(to_email),
            csv_cell(subject),
            csv_cell(body),
            csv_cell(error_code),
            csv_cell(error_message),
            csv_cell(_name(first_name, last_name, username)),
            _when(sent_at),
            _when(delivered_at),
        ],
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _when(moment: datetime | None) -> str:
    """ISO 8601 in UTC, as the API writes times."""
    return "" if moment is None else moment.astimezone(UTC).isoformat()


def _name(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """The sender as team.selectors.display_name names a teammate (full name, else
    username), from the joined columns rather than a user object per row; "" for none."""
    if username is None:
        return ""
    return f"{first_name} {last_name}".strip() or username
