import uuid

from django.db import models

from core.contacts import CONTACT_MAX_LENGTH
from core.models import TimestampedModel
from team.models import Label

NAME_MAX_LENGTH = 200


class Contact(TimestampedModel):
    """A person the team talks to, whatever channel they use.

    Their phone numbers and email addresses are ContactPoints. Consent is not kept here: it
    belongs to each number or address (the consent app), so deleting or merging a contact
    never forgets that someone asked not to be messaged.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True)
    first_name = models.CharField(
        max_length=NAME_MAX_LENGTH, blank=True, help_text="Blank: the name's first word."
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text='An IANA time zone, e.g. "Europe/Dublin".'
    )
    notes = models.TextField(blank=True)
    labels = models.ManyToManyField(Label, related_name="contacts", blank=True)

    class Meta:
        # Besides these, in the database only (core.search.add_search_index, PostgreSQL):
        # contact_name_trgm_idx, trigrams of UPPER(name): part of a name finds the contact
        # (/api/search, the contact list's ?q=).
        indexes = [
            # The contact list: newest first, keyset-paginated on (time, id).
            models.Index(fields=["-created_at", "-id"], name="contact_recent_idx"),
        ]

    def __str__(self):
        return self.name or str(self.id)

    @property
    def greeting_name(self) -> str:
        """The first name, or the name's first word when none is set."""
        if self.first_name:
            return self.first_name
        words = self.name.split()
        return words[0] if words else ""


class PointKind(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"


class ContactPoint(models.Model):
    """A phone number (E.164) or an email address (lower-cased) of one contact.

    A number or address belongs to at most one contact (``contact_point_unique_value``);
    the contact's first point of each kind (lowest ``position``) is its primary one.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="points")
    kind = models.CharField(max_length=8, choices=PointKind.choices)
    value = models.CharField(max_length=CONTACT_MAX_LENGTH)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "position", "id"]
        # Besides the constraints' indexes, in the database only (core.search, PostgreSQL):
        # contact_point_trgm_idx, trigrams of UPPER(value): "5552671" finds "+14155552671"
        # and part of an address its contact (/api/search, the contact list's ?q=).
        constraints = [
            models.UniqueConstraint(fields=["value"], name="contact_point_unique_value"),
            models.CheckConstraint(
                condition=models.Q(kind__in=PointKind.values), name="contact_point_kind_valid"
            ),
        ]

    def __str__(self):
        return self.value
