import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from contacts.models import NAME_MAX_LENGTH, Contact
from core.contacts import CONTACT_MAX_LENGTH
from core.models import TimestampedModel
from team.models import Label

PREVIEW_LENGTH = 120
SUBJECT_MAX_LENGTH = 998  # RFC 5322's longest header line


class ConversationChannel(models.TextChoices):
    SMS = "sms", "SMS"
    INTERNAL = "internal", "Internal"
    EMAIL = "email", "Email"


class ConversationState(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    CLOSED = "closed", "Closed"


class Conversation(TimestampedModel):
    """What the inbox lists: an SMS conversation, an internal one, or an email thread.

    One kind of row for all three, below both channel apps, so that what the team does with
    a conversation (state, assignee, labels, notes, read state) is written once. The channel
    apps keep their records (messages, emails) and point here.

    An SMS or internal conversation is the pair of its two normalised contacts, and its id
    derives from them (core.contacts.conversation_id_for), as the seed's clients expect. An
    email thread has a random id: the same two people can have many threads.

    The summary columns are updated in the same transaction as every new message or email,
    so the lists read this table alone and never aggregate.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=16, choices=ConversationChannel.choices)
    # The person on the other side; null for internal conversations (and for a moment
    # after that person's contact was deleted: the next message names a new one).
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    # The contact's name, kept here so that the lists read this table alone (no join per
    # page): written with the contact, and by contacts.signals.contact_names_changed
    # whenever a contact is renamed, merged or deleted (conversations.signals).
    contact_name = models.CharField(
        max_length=NAME_MAX_LENGTH, blank=True, default="", db_default=""
    )
    # The two normalised contacts, in sorted order.
    participant_a = models.CharField(max_length=CONTACT_MAX_LENGTH)
    participant_b = models.CharField(max_length=CONTACT_MAX_LENGTH)
    # Seen from Hatch's side as of the latest message: who a reply goes to, and who we are.
    reply_to = models.CharField(max_length=CONTACT_MAX_LENGTH)
    own_contact = models.CharField(max_length=CONTACT_MAX_LENGTH)
    # An email thread's subject, without "Re:"/"Fwd:"; blank for SMS and internal ones.
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True)
    last_message_at = models.DateTimeField()
    last_message_preview = models.CharField(max_length=PREVIEW_LENGTH, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # A counter of inbound messages (from when read state became each user's own, it
    # started at the team's unread count). What one user has not read is this minus what
    # they had read (ReadMark.inbound_read): one subtraction per row, no count of messages.
    inbound_count = models.PositiveIntegerField(default=0, db_default=0)

    # What the team does with it: open until someone closes or snoozes it; an inbound
    # message, or the snooze's end, opens it again.
    state = models.CharField(
        max_length=16,
        choices=ConversationState.choices,
        default=ConversationState.OPEN,
        db_default=ConversationState.OPEN,
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    labels = models.ManyToManyField(
        Label, through="ConversationLabel", related_name="conversations", blank=True
    )
    # Copies for the lists, as contact_name is one: the assignee's name (team.selectors.
    # display_name) and the labels as the inbox shows them (team.representation.label_data,
    # by name; null when it has none, so that most rows carry no JSON to read). Written
    # with the assignment and the links (conversations.services), and when a user or a
    # label is renamed or deleted (conversations.signals): a page of the list reads this
    # table alone, no join and no subquery per row.
    assignee_name = models.CharField(max_length=301, blank=True, default="", db_default="")
    label_summary = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            # One SMS or internal conversation per pair; email threads may repeat a pair.
            models.UniqueConstraint(
                fields=["participant_a", "participant_b"],
                condition=~models.Q(channel="email"),
                name="conversation_unique_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(message_count__gte=0), name="conversation_count_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=ConversationChannel.values),
                name="conversation_channel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ConversationState.values),
                name="conversation_state_valid",
            ),
            # A snoozed conversation knows when it wakes; no other has a wake-up time.
            models.CheckConstraint(
                condition=models.Q(state=ConversationState.SNOOZED, snoozed_until__isnull=False)
                | (
                    ~models.Q(state=ConversationState.SNOOZED)
                    & models.Q(snoozed_until__isnull=True)
                ),
                name="conversation_snooze_has_time",
            ),
        ]
        indexes = [
            # The conversation list: newest activity first, keyset-paginated on (time, id).
            models.Index(fields=["-last_message_at", "-id"], name="conversation_activity_idx"),
            # The email thread list, the same way.
            models.Index(
                fields=["-last_message_at", "-id"],
                condition=models.Q(channel="email"),
                name="email_thread_activity_idx",
            ),
            # The inbox's default view (open ones) and the other states, newest first.
            models.Index(
                fields=["state", "-last_message_at", "-id"], name="conversation_state_idx"
            ),
            # "Assigned to me", newest first.
            models.Index(
                fields=["assignee", "-last_message_at", "-id"],
                condition=models.Q(assignee__isnull=False),
                name="conversation_assignee_idx",
            ),
            # The snoozes to end, soonest first (conversations.services.snoozes_end).
            models.Index(
                fields=["snoozed_until"],
                condition=models.Q(state=ConversationState.SNOOZED),
                name="conversation_snoozed_idx",
            ),
        ]

    def __str__(self):
        return f"{self.reply_to} ↔ {self.own_contact}"


class ConversationLabel(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE)
    label = models.ForeignKey(Label, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "label"], name="conversation_label_unique"
            ),
        ]
        indexes = [models.Index(fields=["label", "conversation"], name="label_conversations_idx")]

    def __str__(self):
        return f"{self.label_id} on {self.conversation_id}"


class ReadMark(models.Model):
    """How many of a conversation's inbound messages one user has read.

    Their unread count is ``conversation.inbound_count - inbound_read``; no row means they
    have read none. A new user gets a row for every existing conversation (the inbox they
    join starts read: conversations.signals), so only what arrives later is unread to them.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    inbound_read = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Also the list's look-up of the requesting user's mark for each row.
            models.UniqueConstraint(fields=["conversation", "user"], name="read_mark_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} read {self.inbound_read} of {self.conversation_id}"


class ActivityKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    UNASSIGNED = "unassigned", "Unassigned"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    SNOOZED = "snoozed", "Snoozed"
    LABELLED = "labelled", "Labelled"
    UNLABELLED = "unlabelled", "Label removed"


class Activity(models.Model):
    """One change to a conversation's team state: who, what, when.

    ``actor`` is null when Hatch itself did it (an inbound message reopened the
    conversation, a snooze ended). ``detail`` holds what the line shows beyond the kind,
    as it was then (the assignee's or label's name, the snooze's end), so that renaming or
    deleting them later does not rewrite history.
    """

    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="activities"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="activity_thread_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ActivityKind.values), name="activity_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


NOTE_MAX_LENGTH = 10_000
# What the full-text index of notes reads (note_text_idx, migration 0006): searches pass
# exactly this to core.search, or PostgreSQL cannot use the index.
NOTE_SEARCHED_TEXT = ("body",)


class Note(TimestampedModel):
    """An internal note on a conversation: seen by the team, never sent to anyone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(max_length=NOTE_MAX_LENGTH)
    # The teammates it @mentions (they are notified).
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="mentioned_in_notes", blank=True
    )

    class Meta:
        # Besides this, in the database only (core.search.add_search_index, PostgreSQL):
        # note_text_idx, GIN over to_tsvector(NOTE_SEARCHED_TEXT): /api/search's notes.
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="note_thread_idx")
        ]

    def __str__(self):
        return self.body[:60]


SAVED_REPLY_TITLE_MAX_LENGTH = 100
SAVED_REPLY_BODY_MAX_LENGTH = 5_000


class SavedReply(TimestampedModel):
    """A reply the team reuses; its body may name the contact and the agent
    (conversations.saved_replies lists the variables)."""

    title = models.CharField(max_length=SAVED_REPLY_TITLE_MAX_LENGTH)
    body = models.TextField(max_length=SAVED_REPLY_BODY_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "saved replies"
        ordering = [Lower("title")]
        constraints = [
            models.UniqueConstraint(Lower("title"), name="saved_reply_title_unique_ci"),
        ]

    def __str__(self):
        return self.title
