"""A conversation's summary row: the one definition of what it says about its messages.

The conversation list reads the summary columns alone and never aggregates messages, so
every new message updates them in the same statement that stores it (``store_message``),
and seed_demo, which streams whole threads at once, writes the row ``conversation_summary``
gives for a thread's newest message, exactly as storing its messages one by one would leave
it. The rules:

- the two participants are the two normalised contacts, sorted; the id derives from them
  (core.contacts.conversation_id_for);
- the reply address, Hatch's own side, the time and the one-line preview follow the newest
  message (an inbound message was sent to us, an outbound one by us: ``sides``); a message
  older than the newest summarised one (a delayed webhook) leaves them as they are;
- it has phone numbers when it is an SMS conversation (internal ones are between names);
- ``message_count`` counts its messages; ``inbound_count`` its inbound messages (what each
  user has not read is taken from it: conversations.models.ReadMark);
- an inbound message opens a snoozed or closed conversation again
  (conversations.services.conversation_reopen_on_inbound).
"""

import functools
from datetime import datetime
from typing import NamedTuple

import orjson
import psycopg
from django.db import IntegrityError, OperationalError, connections, router, transaction

from contacts.models import Contact, ContactPoint, PointKind
from contacts.services import contact_for_point
from conversations.services import conversation_reopen_on_inbound
from core.contacts import conversation_id_for
from messaging.live import publish_message_changed
from messaging.models import (
    MEDIA_ONLY_BODY,
    PREVIEW_LENGTH,
    Channel,
    Conversation,
    Direction,
    Message,
)
from messaging.representation import CONVERSATION_FIELDS, message_row


def sides(*, direction: str, from_contact: str, to_contact: str) -> tuple[str, str]:
    """``(own, other)``: Hatch's side of a message and the other party's."""
    if direction == Direction.INBOUND:
        return to_contact, from_contact
    return from_contact, to_contact


def conversation_preview(body: str) -> str:
    """The one-line preview a conversation shows of its newest message."""
    return " ".join(body.split())[:PREVIEW_LENGTH]


def conversation_summary(
    *,
    own: str,
    other: str,
    channel: str,
    newest_at: datetime,
    newest_body: str,
    message_count: int,
    inbound_count: int,
    contact_id=None,
    contact_name: str = "",
) -> dict:
    """The summary columns of the conversation between ``own`` and ``other`` (normalised)
    whose newest message is ``newest_body`` at ``newest_at``."""
    first, second = sorted([own, other])
    return {
        "id": conversation_id_for(own, other),
        "participant_a": first,
        "participant_b": second,
        "reply_to": other,
        "own_contact": own,
        "channel": channel,
        "last_message_at": newest_at,
        "last_message_preview": conversation_preview(newest_body),
        "message_count": message_count,
        "inbound_count": inbound_count,
        "contact_id": contact_id,
        "contact_name": contact_name,
        "subject": "",
    }


def store_message(
    message: Message,
    *,
    own: str,
    other: str,
    inbound: bool = False,
    new_state: str | None = None,
    publish: bool = True,
) -> None:
    """Insert a new message and create or update its conversation's summary, in ONE statement.

    ``message`` is unsaved; its conversation is the one between ``own`` (Hatch's side) and
    ``other``, both normalised. An ``inbound`` one counts into the conversation's
    ``inbound_count`` and, first, opens it again if it was snoozed or closed (one more
    UPDATE, in the caller's transaction: message_receive's), so that what the inbox hears
    of the message shows the conversation open.
    One statement is one round trip and, outside a transaction, one commit: a send is bound
    by round trips and the commit's flush, not by Python (see bench/). The upsert's row lock
    serialises concurrent writers to the same conversation, and the summary only moves
    forward: the preview and the reply address follow the newest message, whatever order
    concurrent writers commit in. The database's constraints check the row as an ORM
    insert would, and the inbox is told with the rows in hand (unless ``publish`` is
    false: a broadcast tells it of its progress instead).

    ``new_state``: the team state of a conversation this creates (a broadcast's are
    closed, so that it opens none); an existing one keeps its own.
    """
    conversation = Conversation(
        **conversation_summary(
            own=own,
            other=other,
            channel=message.channel,
            newest_at=message.created_at,
            # An MMS of pictures alone still gives the conversation list a line to show.
            newest_body=message.body or MEDIA_ONLY_BODY,
            message_count=1,
            inbound_count=int(inbound),
        )
    )
    if new_state is not None:
        conversation.state = new_state
    message.conversation_id = conversation.id
    if inbound:
        conversation_reopen_on_inbound(conversation.id)
    using = router.db_for_write(Message)
    connection = connections[using]
    statements = _store_message_statements(connection.vendor)
    conversation_values = _insert_values(conversation, connection)
    message_values = _insert_values(message, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            conversation_row = _execute_store(
                connection, cursor, statements.both, [*conversation_values, *message_values]
            )
        else:
            # SQLite (the development fallback) cannot write inside WITH: two statements in
            # one transaction, and the summary read back through the ORM's converters.
            with transaction.atomic(using=using):
                cursor.execute(statements.conversation, conversation_values)
                cursor.execute(statements.message, message_values)
            conversation_row = (
                Conversation.objects.using(using)
                .filter(pk=conversation.pk)
                .values(*CONVERSATION_FIELDS)
                .get()
            )
    message._state.adding = False
    message._state.db = using
    if conversation_row["contact_id"] is None and message.channel == Channel.SMS:
        contact = _conversation_contact_create(conversation.id, other)
        conversation_row["contact_id"], conversation_row["contact_name"] = contact.pk, contact.name
    if publish:
        publish_message_changed(
            message.pk, created=True, rows=(message_row(message), conversation_row)
        )


def _conversation_contact_create(conversation_id, phone: str) -> Contact:
    """Give a conversation with a stranger its contact: the first message to or from an
    unknown number creates one. Outside the store's statement, and only this once: should
    it fail, the conversation's next message tries again."""
    contact = contact_for_point(kind=PointKind.PHONE, value=phone)
    Conversation.objects.filter(id=conversation_id, contact__isnull=True).update(
        contact=contact, contact_name=contact.name
    )
    return contact


def _execute_store(connection, cursor, sql: str, params: list) -> dict:
    """Run the one-statement store, once more if a concurrent writer created the conversation.

    Two first messages between the same pair at the same moment both try to create its
    row. The upsert's arbiter is the primary key; the pair's own unique constraint is not
    one, so PostgreSQL may answer the loser with a unique violation on it or a deadlock
    instead of taking the update path. The statement wrote nothing then, and run again it
    finds the row and updates it. Inside a transaction (an inbound SMS, an idempotent
    send) a savepoint keeps the transaction usable for that second run.
    """
    for attempt in (1, 2):
        try:
            if connection.in_atomic_block:
                with transaction.atomic(using=connection.alias):
                    cursor.execute(sql, params)
            else:
                cursor.execute(sql, params)
            row = dict(zip(CONVERSATION_FIELDS, cursor.fetchone(), strict=True))
            # A raw cursor leaves jsonb as text (Django decodes it in JSONField).
            if row["label_summary"] is not None:
                row["label_summary"] = orjson.loads(row["label_summary"])
            return row
        except (IntegrityError, OperationalError) as error:
            if attempt == 2 or not _lost_conversation_race(error):
                raise
    raise AssertionError("unreachable")


def _lost_conversation_race(error: Exception) -> bool:
    cause = error.__cause__
    if isinstance(cause, psycopg.errors.DeadlockDetected):
        return True
    return (
        isinstance(cause, psycopg.errors.UniqueViolation)
        and cause.diag.constraint_name == "conversation_unique_pair"
    )


def _insert_values(instance, connection) -> list:
    return [
        # The conversation's contact and its name are looked up in the statement itself
        # (see _store_message_statements): their parameter is the other party's address.
        instance.reply_to
        if field.attname in ("contact_id", "contact_name")
        else field.get_db_prep_save(field.pre_save(instance, add=True), connection)
        for field in type(instance)._meta.concrete_fields
    ]


class _StoreMessageStatements(NamedTuple):
    conversation: str  # the summary's upsert, answering the summary's columns
    message: str  # the message's insert
    both: str  # the two as one statement (PostgreSQL)


@functools.cache
def _store_message_statements(vendor: str) -> _StoreMessageStatements:
    """The SQL of _store_message, built once from the models' own column lists."""

    # The conversation's contact: whoever owns the other party's number, if anyone does.
    # Looked up here, in the same statement, so that a send costs no extra round trip; a
    # stranger's first message finds none, and store_message then creates their contact.
    point_table, contact_table = ContactPoint._meta.db_table, Contact._meta.db_table
    # Names from the models, values as parameters: nothing here comes from input.
    owner = f'FROM "{point_table}" p WHERE p."value" = %s'
    contact_lookups = {
        "contact_id": f'(SELECT p."contact_id" {owner})',
        "contact_name": f"""COALESCE((SELECT k."name" FROM "{contact_table}" k
            WHERE k."id" = (SELECT p."contact_id" {owner})), '')""",  # noqa: S608
    }

    def insert(model) -> str:
        fields = model._meta.concrete_fields
        columns = ", ".join(f'"{field.column}"' for field in fields)
        placeholders = ", ".join(
            contact_lookups.get(field.attname, "%s") if model is Conversation else "%s"
            for field in fields
        )
        # Names from the models, values as parameters: nothing here comes from input.
        return f'INSERT INTO "{model._meta.db_table}" AS c ({columns}) VALUES ({placeholders})'  # noqa: S608

    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    # The new message is the newest one unless a later one is already summarised (a
    # delayed webhook, say): then the preview and the addresses stay as they are.
    is_newest = "c.last_message_at <= excluded.last_message_at"
    follow_newest = ", ".join(
        f"{column} = CASE WHEN {is_newest} THEN excluded.{column} ELSE c.{column} END"
        for column in ("last_message_preview", "reply_to", "own_contact")
    )
    returning = ", ".join(f'c."{name}"' for name in CONVERSATION_FIELDS)
    conversation = f"""
        {insert(Conversation)}
        ON CONFLICT (id) DO UPDATE SET
            message_count = c.message_count + 1,
            inbound_count = c.inbound_count + excluded.inbound_count,
            last_message_at = {greatest}(c.last_message_at, excluded.last_message_at),
            {follow_newest},
            contact_name = CASE WHEN c.contact_id IS NULL THEN excluded.contact_name
                ELSE c.contact_name END,
            contact_id = COALESCE(c.contact_id, excluded.contact_id),
            updated_at = excluded.updated_at
    """
    message = insert(Message)
    both = f"""
        WITH conversation AS ({conversation} RETURNING {returning}),
        message AS ({message})
        SELECT * FROM conversation
    """  # noqa: S608
    return _StoreMessageStatements(conversation, message, both)
