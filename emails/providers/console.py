import logging
import uuid

from emails.providers.base import EmailProvider, EmailSendResult, OutgoingEmail

logger = logging.getLogger(__name__)


class ConsoleEmailProvider(EmailProvider):
    """Logs each email instead of sending it: development without SendGrid credentials."""

    def send(self, email: OutgoingEmail) -> EmailSendResult:
        logger.info(
            "Email (console, not sent) from %s to %s: %s %s, %s attachment(s)",
            email.from_email,
            email.to_email,
            email.subject,
            email.headers(),
            len(email.attachments),
        )
        return EmailSendResult(provider_message_id=f"console-{uuid.uuid4().hex}", response={})
