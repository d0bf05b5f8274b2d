"""Twilio Programmable Messaging through the official SDK."""

import functools

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from messaging.models import MessageStatus
from messaging.providers.base import ProviderError, SmsProvider, SmsSendResult

# Twilio's message statuses in Hatch's vocabulary. Statuses before "sent" carry no news for
# a message Hatch has handed over (it is already "sent" here) and map to None.
STATUS_MAP = {
    "accepted": None,
    "scheduled": None,
    "queued": None,
    "sending": None,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
    "partially_delivered": MessageStatus.DELIVERED,
}

# The recipient replied STOP to this sender (or the Messaging Service): Hatch records the
# opt-out and never tries this number again until it opts back in.
OPTED_OUT = "21610"


@functools.lru_cache(maxsize=4)
def _client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    # One client per configuration keeps its HTTP session, and so its connections, alive.
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    # TWILIO_API_BASE_URL reaches the SDK unchanged: tests point it at a local server.
    client.api.base_url = base_url
    return client


class TwilioSmsProvider(SmsProvider):
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str,
        timeout: float,
        messaging_service_sid: str = "",
    ):
        self.client = _client(account_sid, auth_token, base_url, timeout)
        self.messaging_service_sid = messaging_service_sid

    def send(self, *, to: str, from_: str, body: str, status_callback: str) -> SmsSendResult:
        sender = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": from_}
        )
        try:
            message = self.client.messages.create(
                to=to, body=body, status_callback=status_callback, **sender
            )
        except TwilioRestException as error:
            # 4xx (invalid number, opted out, bad sender, bad credentials) will fail again;
            # 429 and 5xx are Twilio or the network having a moment.
            transient = error.status == 429 or error.status >= 500
            raise ProviderError(
                error.msg or f"Twilio answered {error.status}",
                code=str(error.code or error.status),
                permanent=not transient,
            ) from error
        except (requests.RequestException, TwilioException, OSError) as error:
            raise ProviderError(
                f"Twilio could not be reached: {type(error).__name__}", permanent=False
            ) from error
        segments = int(message.num_segments) if message.num_segments else None
        return SmsSendResult(provider_message_id=message.sid, num_segments=segments)
