from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.contacts import CONTACT_MAX_LENGTH


class ConsentChannel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class SuppressionReason(models.TextChoices):
    """Why a number or address may not be messaged; the label completes "... on <date>"."""

    STOP = "stop", "replied STOP"
    CARRIER_OPT_OUT = "carrier_opt_out", "opted out with their carrier"
    BOUNCE = "bounce", "bounced"
    # The detail says why the provider dropped it (a bounced, invalid or unsubscribed
    # address, or one that reported spam).
    DROPPED = "dropped", "was dropped by the email provider"
    SPAM_REPORT = "spamreport", "reported your email as spam"
    UNSUBSCRIBE = "unsubscribe", "unsubscribed"
    GROUP_UNSUBSCRIBE = "group_unsubscribe", "unsubscribed from an email group"


def consent_address(address: str) -> str:
    """The one spelling the record keeps for a number or address.

    Phone numbers arrive in E.164 already. Email addresses are kept in lower case: mailbox
    providers and SendGrid treat them case-insensitively (SendGrid reports them lower-cased),
    so "Ada@Example.com" and "ada@example.com" are one person's consent.
    """
    address = address.strip()
    return address.lower() if "@" in address else address


class Suppression(models.Model):
    """A phone number or email address that must not be messaged, and why.

    One row per number or address, whoever the contact is: deleting or merging contacts
    never drops it. Every send reads it. An SMS suppression is lifted only by the person
    (START); an email one by SendGrid's group_resubscribe or by staff with a reason.
    """

    address = models.CharField(max_length=CONTACT_MAX_LENGTH, unique=True)
    channel = models.CharField(max_length=8, choices=ConsentChannel.choices)
    reason = models.CharField(max_length=32, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=ConsentChannel.values),
                name="suppression_channel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=SuppressionReason.values),
                name="suppression_reason_valid",
            ),
            # consent_address's spelling: a differently cased copy would be missed by a send.
            models.CheckConstraint(
                condition=models.Q(channel=ConsentChannel.SMS) | models.Q(address=Lower("address")),
                name="suppression_email_lower_case",
            ),
        ]

    def __str__(self):
        return f"{self.address}: {self.get_reason_display()}"


class ConsentAction(models.TextChoices):
    SUPPRESSED = "suppressed", "Suppressed"
    LIFTED = "lifted", "Lifted"


class ConsentChange(models.Model):
    """The history of a number's or address's consent: each suppression and each lift."""

    address = models.CharField(max_length=CONTACT_MAX_LENGTH)
    channel = models.CharField(max_length=8, choices=ConsentChannel.choices)
    action = models.CharField(max_length=16, choices=ConsentAction.choices)
    reason = models.CharField(max_length=32, choices=SuppressionReason.choices)
    note = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who lifted a suppression; empty for what people and "
        "providers did.",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["address", "changed_at"], name="consent_change_address_idx")
        ]

    def __str__(self):
        return f"{self.address} {self.action} ({self.reason})"
