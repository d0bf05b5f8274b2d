"""The contract every SMS provider meets."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from hatch.delivery import ProviderError

__all__ = ["ProviderError", "SmsProvider", "SmsSendResult"]


@dataclass(frozen=True)
class SmsSendResult:
    provider_message_id: str  # Twilio's MessageSid
    num_segments: int | None  # as billed by the provider, when it says


class SmsProvider:
    """Sends one SMS.

    ``send`` returns an SmsSendResult once the provider has accepted the message, or raises
    ProviderError: ``permanent=True`` when retrying cannot help (invalid number, opted-out
    recipient, refused sender, bad credentials), ``permanent=False`` otherwise (timeouts,
    connection errors, 5xx, 429). Every call has a timeout; credentials never reach a log.
    """

    name: str

    def send(self, *, to: str, from_: str, body: str, status_callback: str) -> SmsSendResult:
        raise NotImplementedError

    def find_sent(
        self, *, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> SmsSendResult | None:
        """The oldest message with this recipient, sender and body that the provider
        accepted at or after ``since`` and whose id is not in ``exclude``; None if there is
        none, or if the provider cannot be asked. Raises ProviderError if the look-up fails.

        The outbox asks before sending again after an attempt with an unknown outcome.
        """
        return None
