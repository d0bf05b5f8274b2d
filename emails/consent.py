"""The email side of consent: what the provider's events say about a recipient, and the
check every send makes of every recipient (to, cc and bcc).

The record itself is the consent app's, one per number or address, shared with SMS.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from consent.models import ConsentChannel, Suppression, SuppressionReason, consent_address
from consent.selectors import first_suppression, suppressed_among, suppression_sentence
from consent.services import address_lift, address_suppress
from emails.events import TrackingEvent

ADDRESS_MAX_LENGTH = Suppression._meta.get_field("address").max_length

# The error code an email refused at delivery for a suppressed recipient fails with.
SUPPRESSED = "suppressed"


def email_event_consent_apply(*, event: TrackingEvent) -> None:
    """Suppress the event's recipient, or lift their group unsubscribe, as the event says.

    Recorded at the event's time, whether or not the email is one of Hatch's: a spam report
    stands for the address, whoever sent to it.
    """
    if not _is_address(event.recipient):
        return  # nothing a send could be refused for
    if event.suppress is not None:
        address_suppress(
            address=event.recipient,
            channel=ConsentChannel.EMAIL,
            reason=event.suppress,
            detail=event.reason,
            at=event.occurred_at,
        )
    elif event.lifts_group_unsubscribe:
        address_lift(
            address=event.recipient,
            reasons={SuppressionReason.GROUP_UNSUBSCRIBE},
            note="resubscribed to the email group",
            at=event.occurred_at,
        )


def _is_address(value: str) -> bool:
    try:
        validate_email(value)
    except DjangoValidationError:
        return False
    # Lower case may lengthen some letters ("İ"): the record's column must still hold it.
    return len(consent_address(value)) <= ADDRESS_MAX_LENGTH


def recipients_refusal(
    *, to_email: str, cc: Sequence[str] = (), bcc: Sequence[str] = ()
) -> tuple[str, str] | None:
    """``(field, sentence)`` for the first recipient that may not be emailed (to_email,
    then cc, then bcc): the field naming it and why, with the date; None if all may. One
    query."""
    fields = {to_email: "to_email"}
    for field, addresses in (("cc", cc), ("bcc", bcc)):
        for address in addresses:
            fields.setdefault(address, field)
    found = first_suppression([to_email, *cc, *bcc])
    if found is None:
        return None
    address, suppression = found
    return fields[address], suppression_sentence(suppression)


def suppressed_recipients_among(recipients: dict) -> set:
    """Of ``{key: [address, ...]}`` (e.g. email ids and each one's recipients), the keys
    with any recipient that may not be emailed. One query."""
    suppressed = suppressed_among(
        address for addresses in recipients.values() for address in addresses
    )
    return {key for key, addresses in recipients.items() if suppressed.intersection(addresses)}
