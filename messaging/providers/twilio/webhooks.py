"""Twilio's webhooks, read: the signature check, and the payloads as Hatch's events.

Twilio signs each request with the account's auth token over the URL it called and the
form's fields (twilio-python's RequestValidator). Payloads are forms: an incoming message
(From, To, Body, MessageSid, MediaUrl{N}, OptOutType, ...) and a status callback
(MessageSid, MessageStatus, ErrorCode, ...). Both arrive with NUL characters already
removed by the webhook view, after the signature check.
"""

import re

from django.conf import settings
from django.http import HttpRequest, QueryDict
from twilio.request_validator import RequestValidator

from core.errors import ValidationError
from messaging.events import InboundMessage, StatusChanged
from messaging.providers.twilio.vocabulary import (
    MAX_MEDIA,
    OPTED_OUT,
    OPTED_OUT_REASON,
    STATUS_MAP,
)

_MEDIA_INDEX = re.compile(r"^MediaUrl(\d+)$")


def signature_is_valid(request: HttpRequest, *, url: str) -> bool:
    """Whether X-Twilio-Signature signs ``url`` (as Twilio called it) and the form."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature)


def inbound_message(form: QueryDict) -> InboundMessage:
    """An incoming SMS or MMS; raises ValidationError (a 400) for a form Twilio never sends."""
    missing = [name for name in ("From", "To", "MessageSid") if not form.get(name)]
    if missing:
        raise ValidationError(f"Missing field(s): {', '.join(missing)}.")
    media_count = sum(1 for key in form if _MEDIA_INDEX.match(key))
    if media_count > MAX_MEDIA:
        raise ValidationError(
            f"At most {MAX_MEDIA} media per message (Twilio's limit); this one has "
            f"{media_count}. Nothing was stored."
        )
    return InboundMessage(
        provider_message_id=form["MessageSid"][:64],
        from_contact=form["From"],
        to_contact=form["To"],
        body=form.get("Body", ""),
        media=_media(form),
        # Twilio's Advanced Opt-Out names the keyword it recognised.
        consent_keyword=form.get("OptOutType", ""),
    )


def status_changed(form: QueryDict, query: QueryDict) -> StatusChanged:
    """A status callback; raises ValidationError (a 400) for one without sid or status."""
    status = form.get("MessageStatus") or form.get("SmsStatus")
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not status or not sid:
        raise ValidationError("Missing field(s): MessageSid and MessageStatus are required.")
    code = _error_code(form.get("ErrorCode", ""))
    return StatusChanged(
        provider_message_id=sid[:64],
        provider_status=status[:32],
        status=STATUS_MAP.get(status[:32]),
        payload=form.dict(),
        # Hatch's id rides on the callback URL (see messaging.delivery).
        message_id=query.get("message_id", ""),
        error_code=code,
        error_message=form.get("ErrorMessage", "")[:1000],
        opted_out_reason=OPTED_OUT_REASON if str(code) == OPTED_OUT else "",
    )


def _error_code(raw: str) -> int | None:
    """Twilio's error codes are five-digit numbers; anything else is not one."""
    return int(raw) if re.fullmatch(r"[0-9]{1,9}", str(raw or "")) else None


def _media(form: QueryDict) -> list[dict]:
    """Every MediaUrl{N} with its MediaContentType{N}, not only the first."""
    indexes = sorted(int(match.group(1)) for key in form if (match := _MEDIA_INDEX.match(key)))
    return [
        {"url": form[f"MediaUrl{index}"], "content_type": form.get(f"MediaContentType{index}", "")}
        for index in indexes[:MAX_MEDIA]
    ]
