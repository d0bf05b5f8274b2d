import logging
import uuid
from collections.abc import Sequence

from messaging.providers.base import SmsProvider, SmsSendResult
from messaging.segments import count_segments

logger = logging.getLogger(__name__)


class ConsoleSmsProvider(SmsProvider):
    """Logs each SMS instead of sending it: development without Twilio credentials."""

    def send(
        self, *, message_id: str, to: str, from_: str, body: str, media_urls: Sequence[str] = ()
    ) -> SmsSendResult:
        # The media's URLs are signed credentials for a day: their number only.
        media = f" (+{len(media_urls)} media)" if media_urls else ""
        logger.info("SMS (console, not sent) from %s to %s: %s%s", from_, to, body, media)
        return SmsSendResult(
            provider_message_id=f"console-{uuid.uuid4().hex}",
            num_segments=count_segments(body).segments,
        )

    # find_sent: the base class's None. Nothing was sent, so there is nothing to find.
