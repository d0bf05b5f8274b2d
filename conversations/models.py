import uuid

from django.db import models

from contacts.models import NAME_MAX_LENGTH, Contact
from core.contacts import CONTACT_MAX_LENGTH
from core.models import TimestampedModel

PREVIEW_LENGTH = 120
SUBJECT_MAX_LENGTH = 998  # RFC 5322's longest header line


class ConversationChannel(models.TextChoices):
    SMS = "sms", "SMS"
    INTERNAL = "internal", "Internal"
    EMAIL = "email", "Email"


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
    # Inbound messages nobody has opened yet; shared by the team, like the inbox itself.
    unread_count = models.PositiveIntegerField(default=0)

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
        ]

    def __str__(self):
        return f"{self.reply_to} ↔ {self.own_contact}"
