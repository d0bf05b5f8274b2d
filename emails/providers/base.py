"""The contract every email provider meets."""

from dataclasses import dataclass
from datetime import datetime

from hatch.delivery import ProviderError

__all__ = ["EmailProvider", "EmailSendResult", "OutgoingEmail", "ProviderError"]


@dataclass(frozen=True)
class OutgoingEmail:
    hatch_id: str  # travels with the email (SendGrid custom_args) to match events to it
    to_email: str
    from_email: str
    subject: str
    body: str
    html_content: str = ""
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: str = ""


@dataclass(frozen=True)
class EmailSendResult:
    provider_message_id: str  # SendGrid's X-Message-Id
    response: dict  # what the provider answered, kept on the record


class EmailProvider:
    """Sends one email.

    ``send`` returns an EmailSendResult once the provider has accepted the email, or raises
    ProviderError: ``permanent=True`` when retrying cannot help (400, 401, 403, 413),
    ``permanent=False`` otherwise (timeouts, connection errors, 5xx, 429). Every call has a
    timeout; credentials never reach a log.
    """

    name: str

    def send(self, email: OutgoingEmail) -> EmailSendResult:
        raise NotImplementedError

    def find_sent(self, email: OutgoingEmail, since: datetime) -> EmailSendResult | None:
        """The provider's record of this email if an attempt since ``since`` reached it;
        None if not, or if the provider cannot be asked (the outbox then sends again)."""
        return None
