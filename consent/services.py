"""Every write to the consent record: suppressing a number or address, and lifting it.

Each change is kept in the history (ConsentChange): when, why, and who, for a lift by staff.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consent.models import (
    ConsentAction,
    ConsentChange,
    ConsentChannel,
    Suppression,
    SuppressionReason,
    consent_address,
)
from core.errors import Conflict, ValidationError

DETAIL_MAX_LENGTH = Suppression._meta.get_field("detail").max_length

# The one reason a provider event lifts (SendGrid's group_resubscribe). Any other reason
# that arrives while it is recorded takes its place: a spam report after a group
# unsubscribe must still stand when the person resubscribes to the group.
PROVIDER_LIFTABLE_REASONS = {SuppressionReason.GROUP_UNSUBSCRIBE}


def address_suppress(
    *,
    address: str,
    channel: str,
    reason: str,
    detail: str = "",
    at: datetime | None = None,
) -> Suppression:
    """Record that ``address`` must not be messaged since ``at`` (default now); return the
    record.

    An address already suppressed keeps the reason first recorded (a second STOP, or a
    bounce after a spam report, changes nothing), unless that reason is one a provider event
    may lift and the new one is not (PROVIDER_LIFTABLE_REASONS): then the new reason, its
    detail and time replace it. Each new or replaced reason is written to the history.
    """
    address = consent_address(address)
    at = at or timezone.now()
    detail = detail.strip()[:DETAIL_MAX_LENGTH]
    with transaction.atomic():
        suppression, created = Suppression.objects.select_for_update().get_or_create(
            address=address,
            defaults={"channel": channel, "reason": reason, "detail": detail, "created_at": at},
        )
        if not created:
            if not (
                suppression.reason in PROVIDER_LIFTABLE_REASONS
                and reason not in PROVIDER_LIFTABLE_REASONS
            ):
                return suppression
            suppression.reason, suppression.detail, suppression.created_at = reason, detail, at
            suppression.save(update_fields=["reason", "detail", "created_at"])
        ConsentChange.objects.create(
            address=address,
            channel=suppression.channel,
            action=ConsentAction.SUPPRESSED,
            reason=reason,
            note=detail,
            changed_at=at,
        )
    return suppression


def address_lift(
    *,
    address: str,
    reasons: set[str] | None = None,
    note: str = "",
    user: AbstractBaseUser | None = None,
    at: datetime | None = None,
) -> bool:
    """Lift the suppression of ``address``; return whether one was lifted.

    - ``reasons``: lift it only if it was recorded for one of these (START lifts an SMS
      opt-out, SendGrid's group_resubscribe only a group unsubscribe).
    - ``at``: when the person asked (a provider event's time). A suppression recorded after
      it stands: provider events arrive out of order.
    - ``user``: a staff member lifting it by hand. They must say why (``note``, kept in the
      history with their name), and may lift only an email suppression: an SMS opt-out is
      the person's to lift, by texting START (the carriers' rules, and in the US the TCPA).
      Raises ValidationError without a note, Conflict for an SMS opt-out.
    """
    address = consent_address(address)
    note = note.strip()
    if user is not None and not note:
        raise ValidationError(
            "Say why the suppression is lifted: the reason is kept in its history.",
            field="note",
        )
    with transaction.atomic():
        suppression = Suppression.objects.select_for_update().filter(address=address).first()
        if suppression is None:
            return False
        if user is not None and suppression.channel == ConsentChannel.SMS:
            raise Conflict(
                f"{address} opted out of SMS; only they can opt back in, by texting START."
            )
        if reasons is not None and suppression.reason not in reasons:
            return False
        if at is not None and suppression.created_at > at:
            return False
        suppression.delete()
        ConsentChange.objects.create(
            address=address,
            channel=suppression.channel,
            action=ConsentAction.LIFTED,
            reason=suppression.reason,
            note=note[:DETAIL_MAX_LENGTH],
            changed_by=user if user is not None and user.is_authenticated else None,
            changed_at=at or timezone.now(),
        )
    return True
