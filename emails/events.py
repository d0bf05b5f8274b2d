"""What an email provider reports, in Hatch's own words.

A webhook view checks the provider's signature, and the provider package turns each event
it reports into a TrackingEvent, and each email it receives into an InboundEmail, before any
service sees it: services never read a provider's field names or event names.
"""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime

from consent.models import SuppressionReason
from core.text import without_nul
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
    # The same in Hatch's words, for a bounce or a drop: a code the provider package defines
    # ("bounce", "blocked", "dropped-invalid", ...) and emails.providers.failure_reason
    # explains; Email.error_code keeps it. "" for an event that is no failure.
    error_code: str = ""
    # What the event says about the recipient's consent (emails.consent applies it): the
    # reason their address may no longer be emailed (a hard bounce, a drop for a bounced or
    # invalid address, a spam report, an unsubscribe), or that they resubscribed to the
    # group they had unsubscribed from.
    suppress: SuppressionReason | None = None
    lifts_group_unsubscribe: bool = False


@dataclass(frozen=True)
class InboundAttachment:
    """A file that came with an inbound email, or an image its HTML shows inline."""

    filename: str  # as the sender named it, without any folder; never used as a path
    content_type: str
    content: bytes = field(repr=False)
    # The Content-ID (without <>) that the HTML's cid: URLs name, for an inline image.
    content_id: str = ""

    def __post_init__(self):
        # A name like "../../settings.py" or "C:\\x\\invoice.pdf" keeps its last part only.
        name = _one_line(without_nul(self.filename)).replace("\\", "/").rsplit("/", 1)[-1]
        object.__setattr__(self, "filename", name if name.strip(". ") else "attachment")
        object.__setattr__(self, "content_type", _one_line(without_nul(self.content_type)))
        object.__setattr__(self, "content_id", _one_line(without_nul(self.content_id)))


@dataclass(frozen=True, kw_only=True)
class InboundEmail:
    """An email someone sent to one of Hatch's addresses, as the provider delivered it.

    Addresses are lower-cased; message ids have no angle brackets. Whichever provider built
    it, no text field holds a NUL (PostgreSQL refuses them), and the subject, the sender's
    name and attachment names are one line each (a reply puts them back into headers).
    """

    from_address: str
    from_name: str = ""  # the display name, "" when the sender gave none
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    # The SMTP envelope's recipients: the Hatch addresses it was delivered to, which a Bcc
    # or a mailing list leaves out of To and Cc.
    envelope_to: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    html: str = ""  # as sent: emails.html.sanitise_email_html before anyone sees it
    message_id: str = ""  # "" when the sender's server wrote none
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # oldest first, as the header lists them
    sent_at: datetime | None = None  # the Date header, aware; None when missing or garbled
    attachments: tuple[InboundAttachment, ...] = ()
    spam_score: float | None = None  # the provider's spam check, when it ran

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, str):
                object.__setattr__(self, item.name, without_nul(value))
            elif isinstance(value, tuple) and all(isinstance(entry, str) for entry in value):
                object.__setattr__(self, item.name, tuple(without_nul(value)))
        object.__setattr__(self, "subject", _one_line(self.subject))
        object.__setattr__(self, "from_name", _one_line(self.from_name))

    def dedupe_key(self) -> str:
        """What recognises the same email delivered twice (a provider's retry, a resend).

        The Message-ID when there is one; otherwise a digest of what a repeat would carry
        unchanged. The prefixes keep the two kinds apart, whatever a Message-ID says.
        """
        if self.message_id:
            return f"message-id:{self.message_id}"
        sent_at = self.sent_at.isoformat() if self.sent_at else ""
        # JSON keeps the parts apart: ("a", "bc") and ("ab", "c") digest differently.
        parts = json.dumps([self.from_address, sent_at, self.subject, self.text or self.html])
        return f"sha256:{hashlib.sha256(parts.encode()).hexdigest()}"


# Line breaks and other control characters, C0 and C1, and Unicode's line separators.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(value: str) -> str:
    """``value`` on one line: a CR/LF in a subject would become a header of its own in a
    reply ("Bcc: ..."), and a tab or escape code has no place in a list of subjects."""
    return _CONTROL_CHARACTERS.sub(" ", value).strip()
