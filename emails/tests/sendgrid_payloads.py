"""SendGrid Event Webhook payloads in the shape SendGrid sends them, and a real signer.

The events follow captured SendGrid batches: common fields (email, timestamp, event,
sg_event_id, sg_message_id = "<X-Message-Id>.filterdrecv-...", smtp-id, category) plus the
custom arg Hatch sends (hatch_email_id) as a top-level key, plus each type's own fields.
Batches are signed as SendGrid signs them: ECDSA P-256 with SHA-256 over timestamp + the raw
body, base64 DER signature.
"""

import base64
import json
import secrets
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

EVENTS_PATH = "/webhooks/sendgrid/events"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
CUSTOMER = "customer@example.com"  # the recipient of the tests' emails

# Each event type's own fields, as SendGrid's docs and captured batches show them.
_EXTRA_FIELDS = {
    "processed": {"pool": {"name": "transactional", "id": 210}, "send_at": 0},
    "deferred": {"response": "451 4.7.650 Try again later", "attempt": "2"},
    "delivered": {"response": "250 2.0.0 OK  1732890000 d75a77b69052e-4ad4a1f4a6fsi", "ip": ""},
    "open": {
        "useragent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
        "ip": "203.0.113.7",
        "sg_machine_open": False,
    },
    "click": {
        "useragent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)",
        "ip": "203.0.113.7",
        "url": "https://hatch.test/orders/1042",
        "url_offset": {"index": 0, "type": "html"},
    },
    "bounce": {
        "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
        "status": "5.1.1",
        "type": "bounce",
        "bounce_classification": "Invalid Address",
    },
    "dropped": {"reason": "Bounced Address", "status": "5.0.0"},
    "spamreport": {},
    "unsubscribe": {},
    "group_unsubscribe": {"asm_group_id": 42},
    "group_resubscribe": {"asm_group_id": 42},
}


def x_message_id() -> str:
    """The id SendGrid returns in X-Message-Id when it accepts an email."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def sg_message_id(message_id: str) -> str:
    return f"{message_id}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"


def event(
    kind: str,
    *,
    email: str,
    message_id: str,
    hatch_email_id: str | None = None,
    timestamp: int = 1732890000,
    **extra,
) -> dict:
    """One event for the email SendGrid knows as X-Message-Id ``message_id``."""
    payload = {
        "email": email,
        "timestamp": timestamp,
        "event": kind,
        "sg_event_id": base64.urlsafe_b64encode(secrets.token_bytes(24)).decode(),
        "sg_message_id": sg_message_id(message_id),
        "smtp-id": f"<{message_id}@geopod-ismtpd-4-0>",
        "category": ["transactional"],
        **_EXTRA_FIELDS[kind],
        **extra,
    }
    if hatch_email_id is not None:
        payload["hatch_email_id"] = hatch_email_id
    return payload


class SigningKey:
    """A P-256 key pair like the one SendGrid generates for a signed Event Webhook."""

    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        """The public key as SendGrid shows it: base64 DER SubjectPublicKeyInfo."""
        der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def sign(self, body: bytes, timestamp: str) -> str:
        der = self.private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: str | None = None) -> dict[str, str]:
        timestamp = timestamp or str(int(time.time()))
        return {SIGNATURE_HEADER: self.sign(body, timestamp), TIMESTAMP_HEADER: timestamp}


def encode(events) -> bytes:
    """A batch serialised as SendGrid does: compact JSON, UTF-8."""
    return json.dumps(events, separators=(",", ":")).encode()


def post_raw(client, body: bytes, *, headers: dict[str, str]):
    return client.post(EVENTS_PATH, body, content_type="application/json", headers=headers)


def post_signed(client, key: SigningKey, events):
    body = events if isinstance(events, bytes) else encode(events)
    return post_raw(client, body, headers=key.headers(body))


def tracking_events(events: list[dict]) -> list:
    """A batch as emails.services.email_events_apply takes it: read by the webhook's parser."""
    from emails.providers.sendgrid.webhooks import tracking_events as parse

    return parse(encode(events))
