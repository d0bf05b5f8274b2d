"""The contract every email provider meets."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from outbox.engine import ProviderError, SendResult

__all__ = [
    "EmailProvider",
    "EmailSendResult",
    "OutgoingAttachment",
    "OutgoingEmail",
    "ProviderError",
]


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file sent with an email: its name, its type (detected from its bytes when it was
    stored), and its bytes."""

    filename: str
    content_type: str
    content: bytes = field(repr=False)


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
    # Threading (emails.threading), without angle brackets: the Message-ID Hatch made when
    # it accepted the email (the same on every attempt), the email it answers, and the
    # thread's ids before it, oldest first.
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    # Its files, in order, each sent as an attachment.
    attachments: tuple[OutgoingAttachment, ...] = ()
    # Headers of their own, sent as they are (a broadcast's List-Unsubscribe).
    extra_headers: tuple[tuple[str, str], ...] = ()

    def headers(self) -> dict[str, str]:
        """The headers a provider must send as they are: Message-ID, In-Reply-To and
        References, those that apply, each id in angle brackets, then ``extra_headers``."""
        headers = {}
        if self.message_id:
            headers["Message-ID"] = f"<{self.message_id}>"
        if self.in_reply_to:
            headers["In-Reply-To"] = f"<{self.in_reply_to}>"
        if self.references:
            headers["References"] = " ".join(f"<{ref}>" for ref in self.references)
        headers.update(self.extra_headers)
        return headers

    def line_break_field(self) -> str | None:
        """The first field that would break a header line (a CR or LF in it), or None.

        The services refuse such input; a provider checks again before anything reaches
        the wire, since one line break in a header value lets its text add headers
        (Bcc: anyone) to the email.
        """
        single_lines = {
            "to_email": self.to_email,
            "from_email": self.from_email,
            "subject": self.subject,
            "reply_to": self.reply_to,
            "cc": " ".join(self.cc),
            "bcc": " ".join(self.bcc),
            **self.headers(),
        }
        for name, value in single_lines.items():
            if "\r" in value or "\n" in value:
                return name
        return None


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
