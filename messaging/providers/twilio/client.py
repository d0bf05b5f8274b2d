"""Twilio Programmable Messaging through the official SDK: send, and look a send up."""

import threading
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from messaging.providers.base import (
    ProviderError,
    RecipientOptedOut,
    SmsProvider,
    SmsSendResult,
)
from messaging.providers.twilio.vocabulary import (
    ERROR_DESCRIPTIONS,
    OPTED_OUT,
    OPTED_OUT_REASON,
)

# Reconciliation (find_sent) reads a recipient's recent messages newest first, this many a
# page, and allows this much difference between Twilio's clock and ours.
LOOKUP_PAGE_SIZE = 100
CLOCK_SLACK_SECONDS = 5
# Where an inbound MMS's MediaUrls point (they answer with a redirect to Twilio's storage).
MEDIA_HOST = "api.twilio.com"


_clients = threading.local()


def _client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    """One client per configuration and thread: it keeps its HTTP session, and so its
    connections, alive, and a delivery worker's threads (outbox.engine) each have their
    own (a requests session is not made to be shared between threads)."""
    key = (account_sid, auth_token, base_url, timeout)
    cache = _clients.__dict__.setdefault("by_configuration", {})
    if key not in cache:
        cache.clear()  # a changed configuration (tests) leaves no old client behind
        cache[key] = _new_client(*key)
    return cache[key]


def _new_client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    # TWILIO_API_BASE_URL reaches the SDK unchanged: tests point it at a local server. The
    # SDK would otherwise rewrite the host from TWILIO_EDGE / TWILIO_REGION in the environment.
    client.api.base_url = base_url
    client.edge = client.region = None
    return client


def status_callback_url(message_id: str) -> str:
    # Hatch's own id rides along, so a callback that outruns the worker's bookkeeping
    # (the MessageSid is not stored yet) still finds its message.
    return f"{settings.PUBLIC_BASE_URL}{reverse('twilio-status')}?message_id={message_id}"


class TwilioSmsProvider(SmsProvider):
    opted_out_code = OPTED_OUT
    opted_out_reason = OPTED_OUT_REASON
    error_descriptions = ERROR_DESCRIPTIONS

    @classmethod
    def from_settings(cls) -> "TwilioSmsProvider":
        return cls(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            base_url=settings.TWILIO_API_BASE_URL,
            timeout=settings.PROVIDER_TIMEOUT_SECONDS,
            messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
        )

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str,
        timeout: float,
        messaging_service_sid: str = "",
    ):
        self._configuration = (account_sid, auth_token, base_url, timeout)
        self.messaging_service_sid = messaging_service_sid
        self._media_credentials = (account_sid, auth_token)
        # Twilio's own host, and the one TWILIO_API_BASE_URL names (tests: a local fake).
        self._media_hosts = {MEDIA_HOST, urlsplit(base_url).hostname}

    @property
    def client(self) -> Client:
        # The calling thread's own (a provider made in one thread is used in others).
        return _client(*self._configuration)

    def send(
        self, *, message_id: str, to: str, from_: str, body: str, media_urls: Sequence[str] = ()
    ) -> SmsSendResult:
        sender = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": from_}
        )
        content = {"body": body} if body else {}  # an MMS may be media only
        if media_urls:
            content["media_url"] = list(media_urls)  # MediaUrl, once per file
        try:
            message = self.client.messages.create(
                to=to, status_callback=status_callback_url(message_id), **content, **sender
            )
        except (TwilioRestException, TwilioServiceException) as error:
            raise _provider_error(error) from error
        except (requests.RequestException, TwilioException, OSError) as error:
            raise _transport_error(error) from error
        return _result(message)

    def media_auth(self, url: str) -> tuple[str, str] | None:
        # Twilio asks for the account's SID and auth token on every MediaUrl; its redirect
        # leads to another host, to which requests does not forward them.
        if urlsplit(url).hostname in self._media_hosts:
            return self._media_credentials
        return None

    def find_sent(
        self, *, to: str, from_: str, body: str, since: datetime, exclude: Collection[str] = ()
    ) -> SmsSendResult | None:
        # Twilio filters DateSent by day, written YYYY-MM-DD (a string reaches the API as
        # it is). From the day before: a clock that runs ahead of Twilio's, a send just
        # before midnight. The exact instant is checked on date_created below.
        day = (since - timedelta(days=1)).date().isoformat()
        filters = {"to": to, "date_sent_after": day}
        service = self.messaging_service_sid
        if not service:
            filters["from_"] = from_  # else the service picks the number: match the service
        # Twilio stamps date_created in whole seconds, and its clock is not ours.
        earliest = since - timedelta(seconds=CLOCK_SLACK_SECONDS)
        candidates = []
        try:
            for message in self.client.messages.stream(**filters, page_size=LOOKUP_PAGE_SIZE):
                sent_at = message.date_sent or message.date_created
                if sent_at is not None and sent_at < earliest:
                    break  # newest first by DateSent: the rest is older still
                if (
                    message.body == body
                    and message.direction == "outbound-api"
                    and message.date_created is not None
                    and message.date_created >= earliest
                    and message.sid not in exclude
                    and (not service or message.messaging_service_sid == service)
                ):
                    candidates.append(message)
        except (TwilioRestException, TwilioServiceException) as error:
            raise _provider_error(error) from error
        except (requests.RequestException, OSError) as error:
            raise _transport_error(error) from error
        except TwilioException as error:
            # The SDK's answer to a list page that is not a 200 (a 5xx, a 429).
            raise ProviderError(
                f"Twilio could not list messages: {error}", permanent=False
            ) from error
        if not candidates:
            return None
        # Newest first from Twilio; the oldest match is the earliest attempt's.
        return _result(min(candidates, key=lambda message: message.date_created))


def _result(message) -> SmsSendResult:
    segments = int(message.num_segments) if message.num_segments else None
    return SmsSendResult(provider_message_id=message.sid, num_segments=segments)


def _transport_error(error: Exception) -> ProviderError:
    """No answer from Twilio. Ambiguous unless the request surely never left: a refused or
    timed-out connection. After a read timeout or a connection lost mid-request, Twilio
    may have accepted the message."""
    never_sent = isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError)
        and any(
            marker in str(error)
            for marker in ("NewConnectionError", "Connection refused", "Name or service")
        )
    )
    # The message stays the same either way (the attempt's code, AMBIGUOUS, tells them apart).
    return ProviderError(
        f"Twilio could not be reached: {type(error).__name__}",
        permanent=False,
        ambiguous=not never_sent,
    )


def _provider_error(error: TwilioRestException | TwilioServiceException) -> ProviderError:
    """Classify an error answer: 4xx (invalid number, opted out, bad sender, bad credentials)
    fails again if retried; 429 and 5xx are Twilio or the network having a moment."""
    if isinstance(error, TwilioServiceException):
        text = error.detail or error.title
    else:
        # The SDK prefixes Twilio's own message with what it was doing.
        text = error.msg.removeprefix("Unable to create record: ")
    status = int(error.status or 0)
    code = str(error.code or status)
    if code == OPTED_OUT:
        return RecipientOptedOut(text, code=code, reason=OPTED_OUT_REASON)
    return ProviderError(
        text or f"Twilio answered {status}",
        code=code,
        permanent=400 <= status < 500 and status != 429,
    )
