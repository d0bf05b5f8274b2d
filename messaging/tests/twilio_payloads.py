"""Twilio webhook payloads in the shape Twilio sends them, and a client that signs them.

The field sets follow captured Twilio requests (incoming-message webhook and SMS status
callback); the SIDs are made up but well formed ("SM"/"MM" + 32 hex digits). Requests are
form-encoded and signed with twilio-python's own RequestValidator, as Twilio signs them.
"""

import uuid
from urllib.parse import urlencode

from django.conf import settings
from twilio.request_validator import RequestValidator

INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"

# The test settings' account and sending number; a customer's mobile.
ACCOUNT_SID = "AC" + "0" * 32
MESSAGING_SERVICE_SID = "MG" + "4b1f" * 8
HATCH_NUMBER = "+15005550006"
CUSTOMER = "+14155552671"


def message_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex


def inbound_sms(
    *, body: str = "Is my order ready?", from_: str = CUSTOMER, to: str = HATCH_NUMBER, **extra
) -> dict[str, str]:
    """An SMS someone sent to one of Hatch's numbers, as Twilio posts it."""
    sid = extra.pop("MessageSid", None) or message_sid()
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "94103",
        "SmsSid": sid,
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN FRANCISCO",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "MessagingServiceSid": MESSAGING_SERVICE_SID,
        "ToZip": "",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def inbound_mms(*, media: list[str], body: str = "", **extra) -> dict[str, str]:
    """An MMS with one MediaUrl{N}/MediaContentType{N} pair per content type in ``media``."""
    sid = message_sid("MM")
    params = inbound_sms(body=body, MessageSid=sid, NumMedia=str(len(media)), **extra)
    for index, content_type in enumerate(media):
        params[f"MediaContentType{index}"] = content_type
        params[f"MediaUrl{index}"] = media_url(sid, index)
    return params


def media_url(sid: str, index: int) -> str:
    media_sid = "ME" + uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/{index}").hex
    return (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media/{media_sid}"
    )


def status_callback(
    *,
    sid: str,
    status: str,
    error_code: str = "",
    error_message: str = "",
    from_: str = HATCH_NUMBER,
    to: str = CUSTOMER,
) -> dict[str, str]:
    """A status callback for an outbound SMS, as Twilio posts it."""
    params = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessagingServiceSid": MESSAGING_SERVICE_SID,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }
    if status in ("delivered", "undelivered"):
        params["RawDlrDoneDate"] = "2411291422"
    if error_code:
        params["ErrorCode"] = error_code
    if error_message:
        params["ErrorMessage"] = error_message
    return params


def signature(params: dict[str, str], *, url: str, token: str | None = None) -> str:
    return RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


def post_signed(client, path: str, params: dict[str, str], *, url: str | None = None):
    """POST ``params`` form-encoded to ``path`` (query string included), signed for ``url``.

    ``url`` defaults to the address Twilio calls: PUBLIC_BASE_URL + path.
    """
    url = url or settings.PUBLIC_BASE_URL + path
    return post_form(
        client, path, params, headers={"X-Twilio-Signature": signature(params, url=url)}
    )


def post_form(client, path: str, params: dict[str, str], *, headers: dict | None = None):
    return client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers=headers or {},
    )
