"""SendGrid's v3 Mail Send API through the official SDK."""

import base64
import json
import socket
import urllib.error

from django.conf import settings
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Bcc,
    Cc,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    Header,
    Mail,
    ReplyTo,
)

from emails.providers.base import EmailProvider, EmailSendResult, OutgoingEmail, ProviderError
from emails.providers.sendgrid.vocabulary import (
    ERROR_DESCRIPTIONS,
    HATCH_ID_ARG,
    PERMANENT_STATUSES,
)


class SendGridEmailProvider(EmailProvider):
    error_descriptions = ERROR_DESCRIPTIONS

    @classmethod
    def from_settings(cls) -> "SendGridEmailProvider":
        return cls(
            api_key=settings.SENDGRID_API_KEY,
            host=settings.SENDGRID_API_HOST,
            timeout=settings.PROVIDER_TIMEOUT_SECONDS,
        )

    def __init__(self, *, api_key: str, host: str, timeout: float):
        # SENDGRID_API_HOST reaches the SDK unchanged: tests point it at a local server.
        self.client = SendGridAPIClient(api_key, host=host)
        # The SDK's HTTP client passes its timeout on to every request it builds.
        self.client.client.timeout = timeout

    def send(self, email: OutgoingEmail) -> EmailSendResult:
        if field := email.line_break_field():
            # Never on the wire: a line break would let the value add headers of its own.
            raise ProviderError(
                f"The email's {field} holds a line break; it was not sent.",
                code="header_injection",
                permanent=True,
            )
        try:
            response = self.client.send(self._mail(email))
        except HTTPError as error:
            raise ProviderError(
                _error_text(error),
                code=str(error.status_code),
                permanent=error.status_code in PERMANENT_STATUSES,
            ) from error
        except (urllib.error.URLError, OSError) as error:
            raise ProviderError(
                f"SendGrid could not be reached: {type(error).__name__}",
                permanent=False,
                # After a timeout SendGrid may have the email: the attempt says so.
                ambiguous=_maybe_accepted(error),
            ) from error
        message_id = response.headers.get("X-Message-Id", "")
        if not message_id:
            raise ProviderError(
                "SendGrid accepted the email without an X-Message-Id", permanent=False
            )
        return EmailSendResult(
            provider_message_id=message_id,
            response={"status_code": response.status_code, "message_id": message_id},
        )

    # find_sent: the base class's None. SendGrid's Mail Send has no idempotency key and no
    # look-up by message (the Email Activity API is a paid add-on, and minutes behind), so
    # an email whose acceptance was never answered is sent again: at most one duplicate
    # per lost answer. A "processed" event that arrives first prevents it.

    @staticmethod
    def _mail(email: OutgoingEmail) -> Mail:
        mail = Mail(
            from_email=email.from_email,
            to_emails=email.to_email,
            subject=email.subject,
            plain_text_content=email.body or None,
            html_content=email.html_content or None,
        )
        personalization = mail.personalizations[0]
        for address in email.cc:
            personalization.add_cc(Cc(address))
        for address in email.bcc:
            personalization.add_bcc(Bcc(address))
        if email.reply_to:
            mail.reply_to = ReplyTo(email.reply_to)
        mail.custom_arg = CustomArg(HATCH_ID_ARG, email.hatch_id)
        # Mail-wide headers (the v3 body's "headers"): SendGrid writes them into the
        # message as given, Message-ID included, so the recipient's replies name it.
        for name, value in email.headers().items():
            mail.add_header(Header(name, value))
        # The SDK puts each attachment it is given first (Mail._ensure_append inserts at 0):
        # given last to first, they reach SendGrid in the email's order.
        for file in reversed(email.attachments):
            mail.add_attachment(
                Attachment(
                    FileContent(base64.b64encode(file.content).decode("ascii")),
                    FileName(file.filename),
                    FileType(file.content_type),
                    Disposition("attachment"),
                )
            )
        return mail


def _maybe_accepted(error: BaseException) -> bool:
    """A refused connection never reached SendGrid; after a timeout or a hang-up it may have."""
    reason = getattr(error, "reason", error)  # URLError wraps the socket error
    return not isinstance(reason, ConnectionRefusedError | socket.gaierror)


def _error_text(error: HTTPError) -> str:
    try:
        errors = json.loads(error.body)["errors"]
        return "; ".join(item["message"] for item in errors)
    except (ValueError, KeyError, TypeError):
        return f"SendGrid answered {error.status_code}"
