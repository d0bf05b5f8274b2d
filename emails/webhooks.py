"""SendGrid's signed Event Webhook."""

import json
import logging
import math

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from sendgrid.helpers.eventwebhook import EventWebhook

from emails import services
from hatch.webhooks import WebhookView

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


class SendGridEventsView(WebhookView):
    provider = "SendGrid"

    def signature_is_valid(self, request: HttpRequest) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not (signature and timestamp and settings.SENDGRID_WEBHOOK_PUBLIC_KEY):
            return False
        try:
            # The exact bytes received: re-serialised JSON would not verify.
            payload = request.body.decode("utf-8")
            verifier = EventWebhook(settings.SENDGRID_WEBHOOK_PUBLIC_KEY)
            # Any other kind of key (RSA, X25519, ...) makes the helper raise
            # AttributeError or TypeError rather than answer.
            if not isinstance(verifier.public_key, ec.EllipticCurvePublicKey):
                logger.error("SENDGRID_WEBHOOK_PUBLIC_KEY is not an elliptic-curve public key")
                return False
            return verifier.verify_signature(payload, signature, timestamp)
        except (ValueError, TypeError, UnicodeDecodeError, UnsupportedAlgorithm):
            # A malformed key, signature or body is as good as a wrong signature.
            return False

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            events = json.loads(request.body, parse_constant=_finite, parse_float=_finite)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return JsonResponse({"error": "The body is not JSON."}, status=400)
        if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
            return JsonResponse({"error": "Expected a JSON array of event objects."}, status=400)
        counts = services.email_events_apply(events=[_without_nul(event) for event in events])
        return JsonResponse(counts)


def _finite(number: str) -> float:
    """A JSON number. Python's parser also accepts NaN and Infinity, which are not JSON and
    which PostgreSQL's jsonb refuses (a 500, and SendGrid retrying the batch for a day)."""
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"{number} is not a JSON number")
    return value


def _without_nul(value):
    """The value with NUL characters removed from every string: PostgreSQL cannot store
    them, and no real event carries one."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value
