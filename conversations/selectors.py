"""Reads of what the team does with conversations, shared by both channel apps' lists.

The SMS conversation list (messaging) and the email thread list (emails) start from their
own querysets and pass them through here: each user's unread count (one correlated
subquery per row on read_mark_unique) and the team-state filters.
"""

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from conversations.models import (
    Activity,
    Conversation,
    ConversationChannel,
    ConversationLabel,
    ConversationState,
    Note,
    ReadMark,
    SavedReply,
)
from conversations.representation import (
    ACTIVITY_FIELDS,
    MENTION_FIELDS,
    MENTIONED_CONVERSATION_FIELDS,
    NOTE_FIELDS,
    person_name,
)
from core.errors import ValidationError
from core.queries import get_by_uuid
from team.models import Label
from team.selectors import display_name, labels_named

# The largest id a user can have (auth.User's id is a 32-bit integer): anything past it is
# refused before it reaches the database, which would fail on it.
USER_ID_MAX = 2**31 - 1


def unread_count(user: AbstractBaseUser) -> RawSQL:
    """The expression of ``user``'s unread count of each conversation: its inbound
    messages less those they have read (no read mark: none read).

    Never below 0, should a counter ever be set back below a mark (a conversation whose
    messages were deleted by hand, say). Written as SQL: built from ORM expressions
    (Subquery, Coalesce, Greatest) it cost each list page 3 ms of Python to resolve, half
    again what the rest of the page costs (bench/).
    """
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    conversations, marks = Conversation._meta.db_table, ReadMark._meta.db_table
    return RawSQL(  # noqa: S611 (names from the models; the user is a parameter)
        f'{greatest}("{conversations}"."inbound_count" - COALESCE((SELECT m."inbound_read" '  # noqa: S608
        f'FROM "{marks}" m WHERE m."conversation_id" = "{conversations}"."id" '
        'AND m."user_id" = %s), 0), 0)',
        [user.pk],
        output_field=IntegerField(),
    )


def with_unread_count[QS: QuerySet](conversations: QS, *, user: AbstractBaseUser) -> QS:
    """``conversations`` with ``unread_count``, ``user``'s own."""
    return conversations.annotate(unread_count=unread_count(user))


def team_filtered[QS: QuerySet](
    conversations: QS,
    *,
    user: AbstractBaseUser,
    state: str = "",
    assignee: str = "",
    label: str = "",
) -> QS:
    """``conversations`` narrowed by the list's team-state filters, as a client writes them.

    ``state``: open, snoozed or closed. ``assignee``: "me", "none" (nobody's), or a user's
    id. ``label``: a label's name, in any case. An empty value filters nothing; anything
    else unusable is a ValidationError naming the parameter.
    """
    if state:
        if state not in ConversationState.values:
            raise ValidationError(
                f"'state' must be one of {', '.join(ConversationState.values)}, not {state!r}.",
                field="state",
            )
        conversations = conversations.filter(state=state)
    if assignee:
        conversations = _assignee_filtered(conversations, assignee=assignee, user=user)
    if label:
        found = labels_named([label]).get(label.strip().lower())
        if found is None:
            raise ValidationError(f"There is no label named {label.strip()!r}.", field="label")
        # A semi-join (EXISTS): a conversation is listed once whatever else it carries.
        conversations = conversations.filter(
            Exists(ConversationLabel.objects.filter(conversation=OuterRef("pk"), label=found))
        )
    return conversations


def _assignee_filtered[QS: QuerySet](conversations: QS, *, assignee: str, user) -> QS:
    if assignee == "me":
        return conversations.filter(assignee=user.pk)
    if assignee == "none":
        return conversations.filter(assignee__isnull=True)
    user_id = int(assignee) if assignee.isascii() and assignee.isdigit() else 0
    if not 0 < user_id <= USER_ID_MAX or not get_user_model().objects.filter(pk=user_id).exists():
        raise ValidationError(
            f"'assignee' must be 'me', 'none' or a teammate's id, not {assignee!r}.",
            field="assignee",
        )
    return conversations.filter(assignee=user_id)


_CONVERSATION_LABELS_SQL = f"""
    SELECT cl."conversation_id", l."id", l."name", l."colour"
    FROM "{ConversationLabel._meta.db_table}" cl
    JOIN "{Label._meta.db_table}" l ON l."id" = cl."label_id"
    WHERE cl."conversation_id" = ANY(%s)
    ORDER BY lower(l."name"), l."id"
"""  # noqa: S608 (names from the models; the ids are a parameter)


def conversation_labels(conversation_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    """The labels of these conversations, by name regardless of case, by conversation id."""
    found: dict[uuid.UUID, list[dict]] = defaultdict(list)
    if not conversation_ids:
        return found
    if connection.vendor == "postgresql":
        # The ORM's IN list prepares each of up to 1,000 ids in Python: it cost a page of
        # the list more than the query did (bench/). One array parameter, adapted at once.
        with connection.cursor() as cursor:
            cursor.execute(_CONVERSATION_LABELS_SQL, [list(conversation_ids)])
            links = cursor.fetchall()
    else:
        links = (
            ConversationLabel.objects.filter(conversation_id__in=conversation_ids)
            .order_by(Lower("label__name"), "label_id")
            .values_list("conversation_id", "label_id", "label__name", "label__colour")
        )
    for conversation_id, label_id, name, colour in links:
        found[conversation_id].append({"id": label_id, "name": name, "colour": colour})
    return found


def conversation_get(*, conversation_id: object, channels: Iterable[str]) -> Conversation:
    """The conversation with this id on one of ``channels`` (an SMS conversation is no
    email thread); NotFound otherwise, a malformed id included."""
    channels = list(channels)
    noun = "email thread" if channels == ["email"] else "conversation"
    return get_by_uuid(
        Conversation.objects.filter(channel__in=channels), conversation_id, noun=noun
    )


def conversation_activity(*, conversation_id: uuid.UUID) -> QuerySet:
    """A conversation's activity lines, oldest first, as ACTIVITY_FIELDS rows
    (activity_thread_idx)."""
    return (
        Activity.objects.filter(conversation_id=conversation_id)
        .order_by("created_at", "id")
        .values(*ACTIVITY_FIELDS)
    )


# ------------------------------------------------------------------------- notes

# An @mention: "@" then a username (Django's characters: letters, digits, @ . + - _), not
# inside a word: "ben@example.com" mentions nobody.
_MENTION = re.compile(r"(?<![\w@])@([\w.@+-]+)")
# What may end a sentence right after a mention ("thanks @ben.") without being part of it.
_TRAILING = ".@+-"


def mentioned_users(body: str) -> list[AbstractBaseUser]:
    """The active users ``body`` @mentions by username, in any case, in the order first
    mentioned; one query, none when nothing in it looks like a mention.

    "@" followed by a word that is nobody's username (or an inactive user's) is plain
    text. A mention may end a sentence: "@ben." mentions ben, unless "ben." is a username.
    """
    words = [match.group(1).lower() for match in _MENTION.finditer(body)]
    candidates = set(words) | {word.rstrip(_TRAILING) for word in words}
    candidates.discard("")
    if not candidates:
        return []
    found: dict[str, list[AbstractBaseUser]] = defaultdict(list)
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(lower_username=Lower("username"))
        .filter(lower_username__in=candidates)
        .order_by("pk")
    )
    for user in users:
        found[user.lower_username].append(user)
    mentioned: dict[int, AbstractBaseUser] = {}
    for word in words:
        # "Ben" and "ben" may be two accounts (usernames are case-sensitive): both hear.
        for user in found.get(word) or found.get(word.rstrip(_TRAILING)) or ():
            mentioned.setdefault(user.pk, user)
    return list(mentioned.values())


def conversation_notes(*, conversation_id: uuid.UUID) -> QuerySet:
    """A conversation's notes as NOTE_FIELDS rows, for keyset pagination on (created_at,
    id) (note_thread_idx); rows_with_mentions gives a page its mentions."""
    return Note.objects.filter(conversation_id=conversation_id).values(*NOTE_FIELDS)


def rows_with_mentions(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (notes, with their ``id``), each given its ``mentions`` (MENTION_FIELDS
    rows, by username): one query for the whole page, none for an empty one."""
    rows = list(rows)
    mentions: dict[uuid.UUID, list[dict]] = defaultdict(list)
    if rows:
        links = (
            Note.mentions.through.objects.filter(note_id__in=[row["id"] for row in rows])
            .order_by(Lower("user__username"), "user_id")
            .values_list("note_id", *(f"user__{name}" for name in MENTION_FIELDS))
        )
        for note_id, *user in links:
            mentions[note_id].append(dict(zip(MENTION_FIELDS, user, strict=True)))
    for row in rows:
        row["mentions"] = mentions.get(row["id"], [])
    return rows


def note_row(*, note_id: uuid.UUID) -> dict[str, Any] | None:
    """One note as a NOTE_FIELDS row with its mentions; None if it is gone."""
    row = Note.objects.filter(pk=note_id).values(*NOTE_FIELDS).first()
    return None if row is None else rows_with_mentions([row])[0]


def mentioned_conversation_row(*, conversation_id: uuid.UUID) -> dict[str, Any] | None:
    return (
        Conversation.objects.filter(pk=conversation_id)
        .values(*MENTIONED_CONVERSATION_FIELDS)
        .first()
    )


# ------------------------------------------------------------------------- teammates


def people_by_id(user_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """``{"id", "name"}`` of each of these users, by id: one query, none for no ids.

    For the lists whose rows name a teammate (who sent a message): a page asks once for
    the names of the people on it, never once per row.
    """
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    users = get_user_model().objects.filter(pk__in=user_ids).values_list(*MENTION_FIELDS)
    return {
        user_id: {"id": user_id, "name": person_name(first_name, last_name, username)}
        for user_id, first_name, last_name, username in users
    }


def users_named(name: str) -> list[AbstractBaseUser]:
    """The Hatch users (active or not) whose username or full name is ``name``, in any
    case and however its spaces are typed. One query; none for a blank name.

    A full name is first and last name with one space (Django's get_full_name): the name
    is tried split at each space, so "Mary Ann Lee" finds "Mary Ann" "Lee" and "Mary"
    "Ann Lee" alike.
    """
    words = name.split()
    if not words:
        return []
    matches = Q(username__iexact=" ".join(words))
    for split in range(len(words) + 1):
        first, last = " ".join(words[:split]), " ".join(words[split:])
        matches |= Q(first_name__iexact=first, last_name__iexact=last)
    return list(get_user_model().objects.filter(matches).order_by("pk"))


# ------------------------------------------------------------------------- saved replies


def saved_reply_list() -> QuerySet[SavedReply]:
    """Every saved reply, by title regardless of case (the model's ordering)."""
    return SavedReply.objects.all()


def saved_reply_values(*, conversation_id: object, user: AbstractBaseUser) -> dict[str, str]:
    """What a saved reply's variables (conversations.saved_replies.VARIABLES) stand for in
    this conversation, written by ``user``: the contact's first name and name, the agent's
    first name and full name. One query; NotFound for an unknown conversation.

    An internal conversation has no contact: the name it is held with stands for one.
    """
    conversation = get_by_uuid(
        Conversation.objects.select_related("contact"), conversation_id, noun="conversation"
    )
    contact = conversation.contact
    if contact is not None:
        contact_first_name, contact_name = contact.greeting_name, contact.name
    elif conversation.channel == ConversationChannel.INTERNAL:
        contact_name = conversation.reply_to
        contact_first_name = (contact_name.split() or [""])[0]
    else:
        contact_first_name = contact_name = ""
    agent_name = display_name(user)
    return {
        "contact.first_name": contact_first_name,
        "contact.name": contact_name,
        "agent.first_name": user.first_name.strip() or agent_name.split()[0],
        "agent.name": agent_name,
    }
