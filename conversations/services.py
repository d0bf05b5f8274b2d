"""Every write to what the team does with a conversation: its state, assignee and labels,
each user's read mark, and the reopenings Hatch does by itself.

Both channel apps call these (an SMS conversation and an email thread are one kind of
row). Each validates first, writes in one short transaction and tells the inbox after the
commit (conversations.live).
"""

import enum
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, router, transaction
from django.tasks import Task, task_backends
from django.utils import timezone

from conversations import saved_replies
from conversations.live import (
    publish_activity_created,
    publish_conversation_changed,
    publish_conversation_read,
    publish_note_created,
)
from conversations.models import (
    NOTE_MAX_LENGTH,
    SAVED_REPLY_BODY_MAX_LENGTH,
    SAVED_REPLY_TITLE_MAX_LENGTH,
    Activity,
    ActivityKind,
    Conversation,
    ConversationLabel,
    ConversationState,
    Note,
    ReadMark,
    SavedReply,
)
from conversations.selectors import conversation_labels, mentioned_users
from core.errors import NotFound, ValidationError
from core.queries import integer_id, name_taken_guard, refuse_taken_name
from team.models import Label
from team.representation import label_data
from team.selectors import display_name, labels_named

logger = logging.getLogger(__name__)

# How far ahead a conversation may be snoozed: further than that, closing it says more.
SNOOZE_MAX = timedelta(days=365)
# Snoozes ended per transaction by snoozes_end: a short lock, whatever the backlog.
SNOOZES_END_BATCH = 500
# Conversations whose label_summary one pass rewrites (label_summaries_refresh).
LABEL_REFRESH_BATCH = 1000
# The reasons Hatch itself reopens a conversation (Activity.detail["reason"]).
REOPENED_BY_MESSAGE = "message"
REOPENED_BY_SNOOZE_END = "snooze ended"


class Unchanged(enum.Enum):
    """A part of the conversation_change call that was not given: it stays as it is."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


class _SnoozeEnds:
    """The worker's task that ends snoozes (conversations.tasks.end_snoozes, set by
    ConversationsConfig.ready: the task calls this module, so this module cannot import it).
    """

    task: Task | None = None

    def enqueue(self, *, run_after: datetime | None = None) -> None:
        """Queue the task; with a time, deferred where the backend can defer (elsewhere the
        sweeper enqueues it once the snooze is due: snoozes_due_sweep)."""
        task = self.task
        if task is None:
            return
        if run_after is not None:
            if not task_backends[task.backend].supports_defer:
                return
            task = task.using(run_after=run_after)
        task.enqueue()


snooze_ends = _SnoozeEnds()


def conversation_change(
    conversation: Conversation,
    *,
    actor: AbstractBaseUser,
    state: str | Unchanged = UNCHANGED,
    snoozed_until: datetime | Unchanged | None = UNCHANGED,
    assignee: int | Unchanged | None = UNCHANGED,
    labels: Sequence[str] | Unchanged = UNCHANGED,
) -> Conversation:
    """Change what the team does with ``conversation``; return it as it now stands.

    ``state``: open, snoozed or closed. Snoozing needs ``snoozed_until``, a time in the
    future at most SNOOZE_MAX ahead (a time alone snoozes); opening or closing clears it.
    ``assignee``: an active user's id, or None for nobody. ``labels``: the names of existing
    labels (any case), which replace the conversation's. Anything unusable is a
    ValidationError naming the field, and nothing is written.

    Each actual change is recorded as one Activity by ``actor`` (with the assignee's or
    label's name as it is now); a part that changes nothing records nothing. The row is
    locked for the change; after the commit the inbox hears of the conversation and of each
    activity, and a snooze has its end enqueued for its time.
    """
    now = timezone.now()
    if state is not UNCHANGED and state not in ConversationState.values:
        raise ValidationError(
            f"'state' must be one of {', '.join(ConversationState.values)}.", field="state"
        )
    if snoozed_until not in (UNCHANGED, None):
        _check_snooze_time(snoozed_until, now=now)
    new_assignee = _assignee(assignee) if assignee is not UNCHANGED else UNCHANGED
    new_labels = _labels(labels) if labels is not UNCHANGED else UNCHANGED

    with transaction.atomic():
        locked = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assignee")
            .get(pk=conversation.pk)
        )
        activities: list[Activity] = []
        changed_fields: list[str] = []
        target = _state_after(locked, state=state, snoozed_until=snoozed_until)
        if target != (locked.state, locked.snoozed_until):
            activities.append(_state_activity(*target))
            locked.state, locked.snoozed_until = target
            changed_fields += ["state", "snoozed_until"]
        if new_assignee is not UNCHANGED and _pk(new_assignee) != locked.assignee_id:
            activities.append(_assignee_activity(before=locked.assignee, after=new_assignee))
            locked.assignee = new_assignee
            locked.assignee_name = display_name(new_assignee) if new_assignee else ""
            changed_fields += ["assignee", "assignee_name"]
        if new_labels is not UNCHANGED:
            labelled = _labels_replace(locked, new_labels)
            if labelled:
                activities += labelled
                locked.label_summary = label_summary(new_labels)
                changed_fields.append("label_summary")
        if not activities:
            return locked
        locked.updated_at = now
        locked.save(update_fields=[*changed_fields, "updated_at"])
        for activity in activities:
            activity.conversation, activity.actor, activity.created_at = locked, actor, now
        _activities_record(locked, activities)
        if "state" in changed_fields and locked.state == ConversationState.SNOOZED:
            until = locked.snoozed_until
            transaction.on_commit(lambda: snooze_ends.enqueue(run_after=until), robust=True)
    return locked


def _check_snooze_time(moment: Any, *, now: datetime) -> None:
    if not isinstance(moment, datetime) or timezone.is_naive(moment):
        raise ValidationError(
            "'snoozed_until' must be a time with its offset, e.g. 2026-12-08T09:00:00+00:00.",
            field="snoozed_until",
        )
    if moment <= now:
        raise ValidationError(
            "'snoozed_until' must be in the future: the conversation opens again then.",
            field="snoozed_until",
        )
    if moment > now + SNOOZE_MAX:
        raise ValidationError(
            "'snoozed_until' may be at most a year from now; close the conversation instead.",
            field="snoozed_until",
        )


def _state_after(
    conversation: Conversation, *, state: str | Unchanged, snoozed_until: Any
) -> tuple[str, datetime | None]:
    """The (state, snoozed_until) a change asks for: a time alone snoozes, a snooze needs a
    time (a conversation snoozed already keeps its own), open and closed have none."""
    if state is UNCHANGED:
        if snoozed_until is UNCHANGED or (
            snoozed_until is None and conversation.state != ConversationState.SNOOZED
        ):
            return conversation.state, conversation.snoozed_until
        state = ConversationState.SNOOZED
    if state == ConversationState.SNOOZED:
        if snoozed_until is UNCHANGED and conversation.state == ConversationState.SNOOZED:
            return state, conversation.snoozed_until
        if snoozed_until in (UNCHANGED, None):
            raise ValidationError(
                "Snoozing needs 'snoozed_until': when the conversation opens again. To end a "
                "snooze, set 'state' to 'open'.",
                field="snoozed_until",
            )
        return state, snoozed_until
    if snoozed_until not in (UNCHANGED, None):
        raise ValidationError(
            f"'snoozed_until' goes only with the state 'snoozed', not {state!r}.",
            field="snoozed_until",
        )
    return state, None


def _state_activity(state: str, snoozed_until: datetime | None) -> Activity:
    if state == ConversationState.SNOOZED:
        return Activity(
            kind=ActivityKind.SNOOZED,
            detail={"snoozed_until": snoozed_until.astimezone(UTC).isoformat()},
        )
    if state == ConversationState.CLOSED:
        return Activity(kind=ActivityKind.CLOSED, detail={})
    return Activity(kind=ActivityKind.REOPENED, detail={})


def _assignee(user_id: int | None) -> AbstractBaseUser | None:
    if user_id is None:
        return None
    user = (
        get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if isinstance(user_id, int) and not isinstance(user_id, bool)
        else None
    )
    if user is None:
        raise ValidationError(
            f"'assignee' must be the id of an active teammate; {user_id!r} is not one.",
            field="assignee",
        )
    return user


def _pk(user: AbstractBaseUser | None) -> int | None:
    return user.pk if user is not None else None


def _person(user: AbstractBaseUser) -> dict[str, Any]:
    return {"id": user.pk, "name": display_name(user)}


def _assignee_activity(
    *, before: AbstractBaseUser | None, after: AbstractBaseUser | None
) -> Activity:
    if after is None:
        return Activity(kind=ActivityKind.UNASSIGNED, detail={"assignee": _person(before)})
    detail = {"assignee": _person(after)}
    if before is not None:
        detail["previous"] = _person(before)
    return Activity(kind=ActivityKind.ASSIGNED, detail=detail)


def _labels(names: Sequence[str]) -> list[Label]:
    """The labels named (any case, each once, in the order given)."""
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise ValidationError("'labels' must be a list of label names.", field="labels")
    found = labels_named(list(names))
    missing = [name for name in names if name.strip().lower() not in found]
    if missing:
        raise ValidationError(
            f"There is no label named {missing[0].strip()!r}: an admin adds labels on the "
            "Team page.",
            field="labels",
        )
    labels: dict[int, Label] = {}
    for name in names:
        label = found[name.strip().lower()]
        labels.setdefault(label.pk, label)
    return list(labels.values())


def _labels_replace(conversation: Conversation, labels: list[Label]) -> list[Activity]:
    """Give the conversation exactly ``labels``; one activity per label put on or taken off."""
    current = {
        link.label_id: link.label
        for link in ConversationLabel.objects.filter(conversation=conversation).select_related(
            "label"
        )
    }
    wanted = {label.pk for label in labels}
    added = [label for label in labels if label.pk not in current]
    removed = [label for pk, label in current.items() if pk not in wanted]
    if removed:
        ConversationLabel.objects.filter(
            conversation=conversation, label_id__in=[label.pk for label in removed]
        ).delete()
    if added:
        ConversationLabel.objects.bulk_create(
            ConversationLabel(conversation=conversation, label=label) for label in added
        )
    return [
        *(
            Activity(kind=ActivityKind.LABELLED, detail={"label": label_data(label)})
            for label in added
        ),
        *(
            Activity(kind=ActivityKind.UNLABELLED, detail={"label": label_data(label)})
            for label in removed
        ),
    ]


def label_summary(labels: Sequence[Label]) -> list[dict[str, Any]] | None:
    """What Conversation.label_summary keeps of these labels: the inbox's JSON of them, by
    name (any case), or None for none."""
    ordered = sorted(labels, key=lambda label: (label.name.lower(), label.pk))
    return [label_data(label) for label in ordered] or None


def label_summaries_refresh(conversation_ids: Sequence[uuid.UUID]) -> None:
    """Write each conversation's label_summary again from its links (after a label was
    renamed, recoloured or deleted): two queries per thousand conversations."""
    for start in range(0, len(conversation_ids), LABEL_REFRESH_BATCH):
        batch = conversation_ids[start : start + LABEL_REFRESH_BATCH]
        labels = conversation_labels(batch)
        Conversation.objects.bulk_update(
            [
                Conversation(id=conversation_id, label_summary=labels.get(conversation_id) or None)
                for conversation_id in batch
            ],
            ["label_summary"],
        )


def _activities_record(conversation: Conversation, activities: list[Activity]) -> None:
    """Store the activities and, after the commit, tell the inbox of the conversation and
    of each of them."""
    Activity.objects.bulk_create(activities)
    publish_conversation_changed(conversation.pk, channel=conversation.channel)
    for activity in activities:
        publish_activity_created(activity.pk)


def conversation_mark_read(*, conversation_id: uuid.UUID, user: AbstractBaseUser) -> int | None:
    """``user`` has read the conversation: their read mark moves up to its inbound count.

    One statement (an upsert on read_mark_unique), whatever the count. Returns the count
    now read, or None when nothing changed (already read, nothing ever received, or no such
    conversation). The user's own pages hear of it after the commit; nobody else's change.
    """
    using = router.db_for_write(ReadMark)
    connection = connections[using]
    marks, conversations = ReadMark._meta.db_table, Conversation._meta.db_table
    params = [
        user.pk,
        ReadMark._meta.get_field("read_at").get_db_prep_value(timezone.now(), connection),
        Conversation._meta.pk.get_db_prep_value(conversation_id, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the models, values as parameters. The WHERE on the SELECT also
            # tells SQLite that ON CONFLICT belongs to the INSERT.
            f'INSERT INTO "{marks}" AS m (conversation_id, user_id, inbound_read, read_at) '  # noqa: S608
            f'SELECT id, %s, inbound_count, %s FROM "{conversations}" '
            "WHERE id = %s AND inbound_count > 0 "
            "ON CONFLICT (conversation_id, user_id) DO UPDATE "
            "SET inbound_read = excluded.inbound_read, read_at = excluded.read_at "
            "WHERE m.inbound_read <> excluded.inbound_read "
            "RETURNING inbound_read",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    publish_conversation_read(user_id=user.pk, conversation_id=conversation_id, inbound_read=row[0])
    return row[0]


def conversation_reopen_on_inbound(conversation_id: uuid.UUID) -> bool:
    """A message came in: a snoozed or closed conversation opens again (the person wrote
    back). Return whether it did.

    Called by each channel's receive, inside its transaction and before the conversation's
    summary is written, so that what the inbox hears of the message shows it open. One
    UPDATE that matches nothing when the conversation is open (the usual case); when it
    reopens, an activity by nobody says why.
    """
    now = timezone.now()
    reopened = (
        Conversation.objects.filter(pk=conversation_id)
        .exclude(state=ConversationState.OPEN)
        .update(state=ConversationState.OPEN, snoozed_until=None, updated_at=now)
    )
    if not reopened:
        return False
    activity = Activity.objects.create(
        conversation_id=conversation_id,
        kind=ActivityKind.REOPENED,
        detail={"reason": REOPENED_BY_MESSAGE},
        created_at=now,
    )
    publish_activity_created(activity.pk)
    return True


def snoozes_end(now: datetime | None = None) -> int:
    """Open again every snoozed conversation whose snooze ended by ``now`` (default: now);
    return how many.

    Run by the worker at each snooze's end (conversations.tasks.end_snoozes, enqueued by
    conversation_change) and whenever the sweeper finds one overdue. Rows another
    transaction holds (someone changing that conversation right now) are left for the next
    run. Each reopening is recorded and goes live.
    """
    now = now or timezone.now()
    ended = 0
    while True:
        with transaction.atomic():
            due = list(
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(state=ConversationState.SNOOZED, snoozed_until__lte=now)
                .order_by("snoozed_until")
                .values_list("id", "channel", "snoozed_until")[:SNOOZES_END_BATCH]
            )
            if not due:
                break
            reopened_at = timezone.now()
            Conversation.objects.filter(id__in=[row[0] for row in due]).update(
                state=ConversationState.OPEN, snoozed_until=None, updated_at=reopened_at
            )
            activities = Activity.objects.bulk_create(
                Activity(
                    conversation_id=conversation_id,
                    kind=ActivityKind.REOPENED,
                    detail={
                        "reason": REOPENED_BY_SNOOZE_END,
                        "snoozed_until": snoozed_until.astimezone(UTC).isoformat(),
                    },
                    created_at=reopened_at,
                )
                for conversation_id, _channel, snoozed_until in due
            )
            for (conversation_id, channel, _until), activity in zip(due, activities, strict=True):
                publish_conversation_changed(conversation_id, channel=channel)
                publish_activity_created(activity.pk)
        ended += len(due)
        if len(due) < SNOOZES_END_BATCH:
            break
    if ended:
        logger.info("Ended %s snoozes", ended)
    return ended


def snoozes_due_sweep() -> int:
    """The sweeper's look at snoozes (outbox.registry.register_sweep): snoozes past their
    end (their task was lost, or the task backend cannot defer one) get the task that ends
    them enqueued. Return how many are due."""
    due = Conversation.objects.filter(
        state=ConversationState.SNOOZED, snoozed_until__lte=timezone.now()
    ).count()
    if due:
        snooze_ends.enqueue()
    return due


# ------------------------------------------------------------------------- notes


def note_create(*, conversation: Conversation, author: AbstractBaseUser, body: str) -> Note:
    """Add an internal note to ``conversation``: seen by the team, sent to nobody, and
    never one of its messages (no count, no preview). Return it.

    ``body``: 1 to NOTE_MAX_LENGTH characters once trimmed; else a ValidationError naming
    it. Each active teammate it @mentions by username (conversations.selectors.
    mentioned_users) is kept in ``mentions``. After the commit every inbox gets the note,
    and each teammate mentioned, the author aside, a notification on their own pages.
    """
    body = _note_body(body)
    mentioned = mentioned_users(body)
    with transaction.atomic():
        note = Note.objects.create(conversation=conversation, author=author, body=body)
        if mentioned:
            note.mentions.add(*mentioned)
        publish_note_created(
            note.pk,
            conversation_id=conversation.pk,
            notify=[user.pk for user in mentioned if user.pk != author.pk],
        )
    return note


def _note_body(raw: Any) -> str:
    body = raw.strip() if isinstance(raw, str) else ""
    if not body:
        raise ValidationError("Write something in the note: it may not be blank.", field="body")
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError(
            f"The note is {len(body):,} characters long; a note holds at most {NOTE_MAX_LENGTH:,}.",
            field="body",
        )
    if "\x00" in body:
        raise ValidationError("The note may not contain NUL characters.", field="body")
    return body


# ------------------------------------------------------------------------- saved replies

SAVED_REPLY_TITLE_CONSTRAINT = "saved_reply_title_unique_ci"


def saved_reply_create(*, title: str, body: str, created_by: AbstractBaseUser) -> SavedReply:
    """Save a reply for the team. The title is unique whatever its case; the body's
    variables must be ones Hatch knows (conversations.saved_replies). Anything unusable
    is a ValidationError naming the field, and nothing is saved."""
    title, body = _saved_reply_title(title), _saved_reply_body(body)
    taken = _title_taken(title)
    with name_taken_guard(SAVED_REPLY_TITLE_CONSTRAINT, taken), transaction.atomic():
        refuse_taken_name(SavedReply.objects, "title", title, own_id=None, taken=_title_taken)
        return SavedReply.objects.create(title=title, body=body, created_by=created_by)


def saved_reply_update(
    *, saved_reply_id: object, title: str | None = None, body: str | None = None
) -> SavedReply:
    """Change a saved reply's title or body (what is None stays), under the same rules as
    saved_reply_create; NotFound for an unknown id."""
    title = None if title is None else _saved_reply_title(title)
    body = None if body is None else _saved_reply_body(body)
    taken = _title_taken(title or "")
    with name_taken_guard(SAVED_REPLY_TITLE_CONSTRAINT, taken), transaction.atomic():
        reply = SavedReply.objects.select_for_update().filter(
            pk=integer_id(saved_reply_id, noun="saved reply")
        )
        reply = reply.first()
        if reply is None:
            raise NotFound("No saved reply with this id.")
        if title is not None:
            refuse_taken_name(
                SavedReply.objects, "title", title, own_id=reply.pk, taken=_title_taken
            )
            reply.title = title
        if body is not None:
            reply.body = body
        reply.save()
    return reply


def saved_reply_delete(*, saved_reply_id: object) -> None:
    deleted, _ = SavedReply.objects.filter(
        pk=integer_id(saved_reply_id, noun="saved reply")
    ).delete()
    if not deleted:
        raise NotFound("No saved reply with this id.")


def _saved_reply_title(raw: Any) -> str:
    title = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not title:
        raise ValidationError("Give the saved reply a title.", field="title")
    if len(title) > SAVED_REPLY_TITLE_MAX_LENGTH:
        raise ValidationError(
            f"A saved reply's title is at most {SAVED_REPLY_TITLE_MAX_LENGTH} characters.",
            field="title",
        )
    if "\x00" in title:
        raise ValidationError("The title may not contain NUL characters.", field="title")
    return title


def _saved_reply_body(raw: Any) -> str:
    # Kept as typed: its line breaks and spaces are part of the reply.
    body = raw if isinstance(raw, str) else ""
    if not body.strip():
        raise ValidationError("Write the reply: its text may not be blank.", field="body")
    if len(body) > SAVED_REPLY_BODY_MAX_LENGTH:
        raise ValidationError(
            f"The reply is {len(body):,} characters long; a saved reply holds at most "
            f"{SAVED_REPLY_BODY_MAX_LENGTH:,}.",
            field="body",
        )
    if "\x00" in body:
        raise ValidationError("The reply may not contain NUL characters.", field="body")
    saved_replies.validate(body)
    return body


def _title_taken(title: str) -> ValidationError:
    return ValidationError(
        f"A saved reply is already called “{title}”. Choose another title.", field="title"
    )
