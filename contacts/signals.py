"""What the contacts app tells the apps above it.

``contact_names_changed(names={contact_id: name})``: contacts were renamed, merged (the
kept contact's name now stands for the other's records too) or are about to be deleted
(name ""). Sent by contacts.services inside their transaction; conversations keeps its
copy of each name current with it (conversations.signals), so the lists need no join.
"""

from django.dispatch import Signal

contact_names_changed = Signal()
