"""Keeps each conversation's copy of its contact's name current (contacts.signals)."""

from django.dispatch import receiver

from contacts.signals import contact_names_changed
from conversations.models import Conversation


@receiver(contact_names_changed)
def conversation_contact_names_update(sender, *, names: dict, **kwargs) -> None:
    for contact_id, name in names.items():
        Conversation.objects.filter(contact_id=contact_id).exclude(contact_name=name).update(
            contact_name=name
        )
