"""What an email provider reports, in Hatch's own words.

A webhook view checks the provider's signature, and the provider package turns each event
it reports into a TrackingEvent before any service sees it: services never read a
provider's field names or event names.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from emails.models import EmailStatus


@dataclass(frozen=True)
class TrackingEvent:
    """The provider's news about one outbound email: processed, delivered, bounced, opened..."""

    event: str  # the provider's name for it, as received, kept on the event record
    status: EmailStatus | None  # what it means in Hatch; None: kept as an event only
    occurred_at: datetime
    payload: dict  # the whole event as received
    email_id: uuid.UUID | None = None  # Hatch's own id, when the event carries it back
    # The email's id at the provider, as Email.provider_message_id holds it: it matches the
    # email when Hatch's id is missing, and a "sent" event records it.
    provider_message_id: str = ""
    # The message id exactly as reported (SendGrid appends routing details to it), kept on
    # the event record, where it is part of the natural key that recognises a duplicate.
    reported_message_id: str = ""
    # The provider's id for this event, when it gives one (another key for duplicates).
    provider_event_id: str | None = None
    recipient: str = ""
    reason: str = ""  # why the email bounced or was dropped, as the provider words it
