"""Who is on the team and what they may do: roles, invitations, and the labels they share.

Django's own users stay the accounts (sign-in, tokens, the Django admin for staff); a
Teammate row gives each one a role in Hatch. Labels sit here, below contacts and
conversations, because both carry them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from core.models import TimestampedModel

LABEL_NAME_MAX_LENGTH = 40


class Role(models.TextChoices):
    # Manages teammates, labels, saved replies and senders' display names.
    ADMIN = "admin", "Admin"
    # Everything in the inbox.
    AGENT = "agent", "Agent"


class Teammate(models.Model):
    """A user's role in Hatch. Every user has one (team.signals creates it): a superuser
    starts as an admin, anyone else as an agent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="teammate",
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="teammate_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class Invitation(TimestampedModel):
    """A one-time sign-in link for a new teammate: they choose their password there.

    Only the token's SHA-256 is stored; the link is shown once, to the admin who made it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Invitation for {self.user}"


class Label(TimestampedModel):
    """A named, coloured tag for conversations and contacts (broadcasts address a label)."""

    name = models.CharField(max_length=LABEL_NAME_MAX_LENGTH)
    # A CSS hex colour, "#rrggbb".
    colour = models.CharField(max_length=7, default="#6b7280")

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="label_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(colour__regex=r"^#[0-9a-fA-F]{6}$"),
                name="label_colour_hex",
            ),
        ]

    def __str__(self):
        return self.name
