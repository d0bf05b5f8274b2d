"""Receivers that keep conversations' copies and per-user rows current."""

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from contacts.signals import contact_names_changed
from conversations.models import Conversation, ConversationLabel, ReadMark
from conversations.services import label_summaries_refresh
from team.models import Label
from team.selectors import display_name


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


# What team.selectors.display_name reads of a user.
_NAME_FIELDS = {"first_name", "last_name", "username"}


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def conversation_assignee_names_update(
    sender, instance, raw: bool = False, update_fields=None, **kwargs
) -> None:
    """Keeps the copy of an assignee's name current when the user is renamed: one UPDATE
    on the assignee's index, which writes nothing unless the name changed. A save of other
    fields alone (a sign-in's last_login) costs nothing."""
    if raw or (update_fields is not None and not _NAME_FIELDS & set(update_fields)):
        return
    name = display_name(instance)
    Conversation.objects.filter(assignee_id=instance.pk).exclude(assignee_name=name).update(
        assignee_name=name
    )


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL)
def conversation_assignee_names_clear(sender, instance, **kwargs) -> None:
    """A deleted user's conversations are nobody's (the foreign key's SET_NULL): no name."""
    Conversation.objects.filter(assignee_id=instance.pk).update(assignee_name="")


@receiver(post_save, sender=Label)
def conversation_label_summaries_update(sender, instance, created: bool, raw=False, **kwargs):
    """A label renamed or recoloured reads anew on every conversation that carries it."""
    if created or raw:
        return
    label_summaries_refresh(_conversations_labelled(instance))


@receiver(pre_delete, sender=Label)
def conversation_label_summaries_remove(sender, instance, **kwargs) -> None:
    """A deleted label leaves its conversations (in the delete's transaction: the links
    go now rather than by the cascade, so that the summaries are read without it)."""
    conversation_ids = _conversations_labelled(instance)
    ConversationLabel.objects.filter(label=instance).delete()
    label_summaries_refresh(conversation_ids)


def _conversations_labelled(label: Label) -> list:
    return list(
        ConversationLabel.objects.filter(label=label).values_list("conversation_id", flat=True)
    )
