"""The contract every SMS provider meets."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from outbox.engine import ProviderError, RecipientOptedOut, SendResult

__all__ = ["ProviderError", "RecipientOptedOut", "SmsProvider", "SmsSendResult"]


@dataclass(frozen=True)
class SmsSendResult(SendResult):
    num_segments: int | None  # as billed by the provider, when it says


class SmsProvider:
    """Sends one SMS.

    ``send`` returns an SmsSendResult once the provider has accepted the message, or raises
    ProviderError: ``permanent=True`` when retrying cannot help (invalid number, opted-out
    recipient, refused sender, bad credentials), ``permanent=False`` otherwise (timeouts,
    connection errors, 5xx, 429); RecipientOptedOut when the provider refuses because the
    recipient opted out. Every call has a timeout; credentials never reach a log.

    A provider also implements ``from_settings`` (the registry builds it so), and may
    name its code and reason for "recipient opted out": Hatch records them when it refuses
    a send itself because the recipient opted out after the message was queued, so that
    both refusals read alike.

    Its webhooks (when it has any) live in its package too: a signature check and the
    parsing of each payload into messaging.events, called by messaging.webhooks.
    """

    opted_out_code = ""
    opted_out_reason = "opted out"
    # Its common error codes with a few words each, for the admin's error filter.
    error_descriptions: dict[str, str] = {}

    @classmethod
    def from_settings(cls) -> "SmsProvider":
        return cls()

    def send(
        self, *, message_id: str, to: str, from_: str, body: str, media_urls: Sequence[str] = ()
    ) -> SmsSendResult:
        """Send ``body`` (empty when the message is media only) with ``media_urls``, public
        addresses the provider fetches the files from without signing in (made for this
        attempt: they expire); ``message_id`` is Hatch's id of the message, for a provider
        that can carry it to its status reports (Twilio: on the status callback URL)."""
        raise NotImplementedError

    def media_auth(self, url: str) -> tuple[str, str] | None:
        """The HTTP Basic credentials to download ``url``, a media file this provider's
        webhook reported (an inbound MMS), or None to download it without any. Only the
        provider's own hosts get its credentials."""
        return None

    def find_sent(
        self, *, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> SmsSendResult | None:
        """The oldest message with this recipient, sender and body that the provider
        accepted at or after ``since`` and whose id is not in ``exclude``; None if there is
        none, or if the provider cannot be asked. Raises ProviderError if the look-up fails.

        The outbox asks before sending again after an attempt with an unknown outcome.
        """
        return None
