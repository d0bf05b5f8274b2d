"""SendGrid's Event Webhook, read: the signature check, and the batch as Hatch's events.

SendGrid signs each batch with ECDSA (P-256, SHA-256) over the timestamp header and the raw
body, and shows the public half of its key for SENDGRID_WEBHOOK_PUBLIC_KEY. A batch is a
JSON array of event objects: email, timestamp, event, sg_event_id, sg_message_id, the
custom args Hatch sent (HATCH_ID_ARG), and each event type's own fields (reason, response,
url, ...).
"""

import json
import logging
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from sendgrid.helpers.eventwebhook import EventWebhook

from core.errors import ValidationError
from core.text import without_nul
from emails.events import TrackingEvent
from emails.providers.sendgrid.vocabulary import (
    EVENT_STATUS_MAP,
    GROUP_RESUBSCRIBE,
    HATCH_ID_ARG,
    error_code,
    suppression_reason,
    x_message_id,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def signature_is_valid(request: HttpRequest) -> bool:
    """Whether the signature headers sign the exact body received with Hatch's key."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    if not (signature and timestamp and settings.SENDGRID_WEBHOOK_PUBLIC_KEY):
        return False
    try:
        # The exact bytes received: re-serialised JSON would not verify.
        payload = request.body.decode("utf-8")
        verifier = EventWebhook(settings.SENDGRID_WEBHOOK_PUBLIC_KEY)
        # Any other kind of key (RSA, X25519, ...) makes the helper raise AttributeError
        # or TypeError rather than answer.
        if not isinstance(verifier.public_key, ec.EllipticCurvePublicKey):
            logger.error("SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve public key")
            return False
        return verifier.verify_signature(payload, signature, timestamp)
    except (ValueError, TypeError, UnicodeDecodeError, UnsupportedAlgorithm):
        # A malformed key, signature or body is as good as a wrong signature.
        return False


def tracking_events(body: bytes) -> list[TrackingEvent]:
    """The batch's events, in order; raises ValidationError (a 400) for a body that is not
    a JSON array of event objects."""
    try:
        events = json.loads(body, parse_constant=_finite, parse_float=_finite)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationError("The body is not JSON.") from None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise ValidationError("Expected a JSON array of event objects.")
    return [_tracking_event(without_nul(event)) for event in events]


def _tracking_event(event: dict[str, Any]) -> TrackingEvent:
    # Any JSON value may stand where SendGrid writes a string: each is read as text, and
    # cut to the column that keeps it.
    name = str(event.get("event", ""))[:32]
    sg_message_id = str(event.get("sg_message_id") or "")
    return TrackingEvent(
        event=name,
        status=EVENT_STATUS_MAP.get(name),
        occurred_at=_event_time(event.get("timestamp")),
        payload=event,
        email_id=_hatch_id(event.get(HATCH_ID_ARG, "")),
        provider_message_id=x_message_id(sg_message_id),
        reported_message_id=sg_message_id[:256],
        provider_event_id=str(event.get("sg_event_id") or "")[:128] or None,
        recipient=str(event.get("email") or "")[:254],
        reason=str(event.get("reason") or event.get("response") or ""),
        error_code=error_code(name, event),
        suppress=suppression_reason(name, event),
        lifts_group_unsubscribe=name == GROUP_RESUBSCRIBE,
    )


def _hatch_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _event_time(timestamp: object) -> datetime:
    """SendGrid's Unix time in seconds; now, for a value that is not one."""
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _finite(number: str) -> float:
    """A JSON number. Python's parser also accepts NaN and Infinity, which are not JSON and
    which PostgreSQL's jsonb refuses (a 500, and SendGrid retrying the batch for a day)."""
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"{number} is not a JSON number")
    return value
