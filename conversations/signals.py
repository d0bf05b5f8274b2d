"""Receivers that keep conversations' copies and per-user rows current."""

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_save
from django.dispatch import receiver

from contacts.signals import contact_names_changed
from conversations.models import Conversation, ReadMark


@receiver(contact_names_changed)
def conversation_contact_names_update(sender, *, names: dict, **kwargs) -> None:
    """Keeps each conversation's copy of its contact's name current (contacts.signals)."""
    for contact_id, name in names.items():
        Conversation.objects.filter(contact_id=contact_id).exclude(contact_name=name).update(
            contact_name=name
        )


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def read_marks_for_new_user(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A new teammate joins an inbox already read: only what arrives later is unread to them.

    One INSERT ... SELECT, once per user, of a mark for each conversation with inbound
    messages (no mark reads as nothing read).
    """
    if not created or raw:
        return
    marks, conversations = ReadMark._meta.db_table, Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the models; the one value is a parameter.
            f'INSERT INTO "{marks}" (conversation_id, user_id, inbound_read, read_at) '  # noqa: S608
            f'SELECT id, %s, inbound_count, CURRENT_TIMESTAMP FROM "{conversations}" '
            "WHERE inbound_count > 0",
            [instance.pk],
        )
