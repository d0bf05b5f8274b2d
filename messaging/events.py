"""What an SMS provider reports, in Hatch's own words.

A webhook view checks the provider's signature, and the provider package turns the payload
into one of these before any service sees it: services never read a provider's field
names, status words or error codes.
"""

from dataclasses import dataclass, field
from datetime import datetime

from messaging.models import MessageStatus


@dataclass(frozen=True)
class InboundMessage:
    """Someone sent an SMS or MMS to one of Hatch's numbers."""

    from_contact: str  # as the provider wrote it; the service normalises it
    to_contact: str
    body: str
    provider_message_id: str = ""
    media: list[dict] = field(default_factory=list)  # [{"url", "content_type"}, ...]
    # The consent keyword (STOP, START, HELP) the provider recognised in the message, when
    # it says: it decides over Hatch's own reading of the body.
    consent_keyword: str = ""
    received_at: datetime | None = None


@dataclass(frozen=True)
class StatusChanged:
    """The provider's news about an outbound message."""

    provider_message_id: str
    provider_status: str  # as received, kept on the event record
    status: MessageStatus | None  # what it means in Hatch, None for no news
    payload: dict  # the whole report as received
    message_id: str = ""  # Hatch's own id, when the report carries it back
    error_code: int | None = None
    error_message: str = ""
    # The provider says the recipient opted out: the reason to record, else "".
    opted_out_reason: str = ""
