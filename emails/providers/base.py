"""The contract every email provider meets."""

from dataclasses import dataclass
from datetime import datetime
from typing import Self

from outbox.engine import ProviderError, SendResult

__all__ = ["EmailProvider", "EmailSendResult", "OutgoingEmail", "ProviderError"]


@dataclass(frozen=True)
class OutgoingEmail:
    # Travels with the email (SendGrid: a custom arg), so that its tracking events name it.
    hatch_id: str
    to_email: str
    from_email: str
    subject: str
    body: str
    html_content: str = ""
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: str = ""


@dataclass(frozen=True)
class EmailSendResult(SendResult):
    # provider_message_id: the provider's id for the email (SendGrid's X-Message-Id).
    response: dict  # what the provider answered, kept on the record


class EmailProvider:
    """Sends one email.

    ``from_settings()`` builds the provider from Django settings: the registry
    (emails.providers) calls it for the provider EMAIL_PROVIDER names.

    ``send`` returns an EmailSendResult once the provider has accepted the email, or raises
    ProviderError: ``permanent=True`` when retrying cannot help (400, 401, 403, 413),
    ``permanent=False`` otherwise (timeouts, connection errors, 5xx, 429), with
    ``ambiguous=True`` when the provider may have accepted it all the same (a timeout after
    the request was written). Every call has a timeout; credentials never reach a log.

    ``find_sent`` is what the outbox asks after such an ambiguous attempt, before sending
    again.
    """

    # Its common error codes with a few words each, for the admin's error filter.
    error_descriptions: dict[str, str] = {}

    @classmethod
    def from_settings(cls) -> Self:
        return cls()

    def send(self, email: OutgoingEmail) -> EmailSendResult:
        raise NotImplementedError

    def find_sent(self, email: OutgoingEmail, since: datetime) -> EmailSendResult | None:
        """The provider's record of this email if an attempt since ``since`` reached it;
        None if not, or if the provider cannot be asked (the outbox then sends again).
        Raises ProviderError if the look-up itself fails."""
        return None
