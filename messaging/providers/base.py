"""The contract every SMS provider meets."""

from dataclasses import dataclass

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
