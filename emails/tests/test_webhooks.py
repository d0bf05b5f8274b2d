"""SendGrid's signed Event Webhook: signature, parsing, matching, deduplication, statuses.

Batches are signed with a freshly generated P-256 key whose public half is configured as
SENDGRID_WEBHOOK_PUBLIC_KEY, as SendGrid's "Signed Event Webhook Requests" works.
"""

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa, x25519
from sendgrid.helpers.eventwebhook import EventWebhook

from consent.models import SuppressionReason
from emails import services
from emails.events import TrackingEvent
from emails.models import Email, EmailEvent, EmailStatus
from emails.providers.sendgrid.webhooks import tracking_events
from emails.tests.sendgrid_payloads import (
    CUSTOMER,
    EVENTS_PATH,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SigningKey,
    encode,
    event,
    post_raw,
    post_signed,
    x_message_id,
)

pytestmark = pytest.mark.django_db


def event_for(email: Email, kind: str, **kwargs) -> dict:
    """An event for ``email`` carrying both correlation keys, as Hatch's sends produce."""
    kwargs.setdefault("hatch_email_id", str(email.id))
    return event(kind, email=email.to_email, message_id=email.provider_message_id, **kwargs)


def status_of(email: Email) -> str:
    email.refresh_from_db()
    return email.status


class TestSignature:
    def test_the_test_signature_is_one_sendgrids_own_helper_accepts(self):
        signing_key = SigningKey()
        body = encode([event("delivered", email=CUSTOMER, message_id=x_message_id())])
        headers = signing_key.headers(body)

        helper = EventWebhook()
        assert helper.verify_signature(
            body.decode(),
            headers[SIGNATURE_HEADER],
            headers[TIMESTAMP_HEADER],
            public_key=helper.convert_public_key_to_ecdsa(signing_key.public_key),
        )

    def test_a_signed_batch_is_accepted(self, client, key, sent_email):
        response = post_signed(client, key, [event_for(sent_email, "delivered")])

        assert response.status_code == 200
        assert status_of(sent_email) == EmailStatus.DELIVERED

    @pytest.mark.parametrize("missing", [[SIGNATURE_HEADER], [TIMESTAMP_HEADER], "both"])
    def test_a_request_missing_a_signature_header_is_refused(
        self, client, key, sent_email, missing
    ):
        body = encode([event_for(sent_email, "delivered")])
        headers = key.headers(body)
        for name in [SIGNATURE_HEADER, TIMESTAMP_HEADER] if missing == "both" else missing:
            del headers[name]

        response = post_raw(client, body, headers=headers)

        assert response.status_code == 403
        assert response.json() == {"error": "Missing or invalid signature."}
        assert not EmailEvent.objects.exists()
        assert status_of(sent_email) == EmailStatus.SENT

    def test_a_batch_signed_with_another_key_is_refused(self, client, key, sent_email):
        response = post_signed(client, SigningKey(), [event_for(sent_email, "delivered")])

        assert response.status_code == 403
        assert not EmailEvent.objects.exists()

    def test_a_body_reserialised_after_signing_is_refused_and_nothing_is_stored(
        self, client, key, sent_email
    ):
        events = [event_for(sent_email, "delivered")]
        headers = key.headers(encode(events))
        # The same JSON value with json.dumps' default spacing: not the bytes that were signed.
        reserialised = json.dumps(events).encode()

        response = post_raw(client, reserialised, headers=headers)

        assert response.status_code == 403
        assert not EmailEvent.objects.exists()
        assert status_of(sent_email) == EmailStatus.SENT

    def test_a_timestamp_changed_after_signing_is_refused(self, client, key, sent_email):
        body = encode([event_for(sent_email, "delivered")])
        headers = key.headers(body, timestamp="1732890000")
        headers[TIMESTAMP_HEADER] = "1732890001"

        response = post_raw(client, body, headers=headers)

        assert response.status_code == 403

    @pytest.mark.parametrize(
        "signature",
        [
            "!!!not base64!!!",
            "bm90IGEgc2lnbmF0dXJl",  # base64, but not a DER signature
            base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode(),  # DER, wrong
            "sïgnature",
        ],
    )
    def test_a_signature_that_is_not_one_is_refused_not_an_error(
        self, client, key, sent_email, signature
    ):
        body = encode([event_for(sent_email, "delivered")])
        headers = key.headers(body)
        headers[SIGNATURE_HEADER] = signature

        response = post_raw(client, body, headers=headers)

        assert response.status_code == 403
        assert not EmailEvent.objects.exists()

    def test_without_a_configured_public_key_every_batch_is_refused(
        self, client, key, settings, sent_email
    ):
        settings.SENDGRID_WEBHOOK_PUBLIC_KEY = ""

        response = post_signed(client, key, [event_for(sent_email, "delivered")])

        assert response.status_code == 403
        assert not EmailEvent.objects.exists()

    @pytest.mark.parametrize(
        "public_key",
        [
            "not a key",
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",  # a truncated P-256 key
            "pem",  # the whole PEM block pasted instead of its base64 body
            "x25519",
            "ed25519",
            "rsa",
        ],
    )
    def test_a_malformed_or_wrong_kind_of_public_key_refuses_rather_than_errors(
        self, client, key, settings, sent_email, public_key
    ):
        other_keys = {
            "x25519": lambda: x25519.X25519PrivateKey.generate().public_key(),
            "ed25519": lambda: ed25519.Ed25519PrivateKey.generate().public_key(),
            "rsa": lambda: rsa.generate_private_key(65537, 1024).public_key(),
        }
        if public_key == "pem":
            public_key = f"-----BEGIN PUBLIC KEY-----\n{key.public_key}\n-----END PUBLIC KEY-----"
        elif public_key in other_keys:
            der = other_keys[public_key]().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            public_key = base64.b64encode(der).decode()
        settings.SENDGRID_WEBHOOK_PUBLIC_KEY = public_key

        response = post_signed(client, key, [event_for(sent_email, "delivered")])

        assert response.status_code == 403
        assert not EmailEvent.objects.exists()

    def test_unsigned_batches_pass_when_signatures_are_switched_off_for_development(
        self, client, settings, sent_email
    ):
        settings.WEBHOOK_SIGNATURES_REQUIRED = False

        response = post_raw(client, encode([event_for(sent_email, "delivered")]), headers={})

        assert response.status_code == 200
        assert status_of(sent_email) == EmailStatus.DELIVERED


class TestMalformedBatches:
    @pytest.mark.parametrize(
        ("body", "error"),
        [
            (b'[{"event": "delivered",', "The body is not JSON."),
            (b"", "The body is not JSON."),
            (b'[{"event": "open", "timestamp": NaN}]', "The body is not JSON."),
            (b'[{"event": "open", "timestamp": Infinity}]', "The body is not JSON."),
            (b'[{"event": "open", "timestamp": 1e400}]', "The body is not JSON."),
            (b"[" * 100_000 + b"]" * 100_000, "The body is not JSON."),  # too deep
            (b'{"event": "delivered"}', "Expected a JSON array of event objects."),
            (b'[1, "delivered", null]', "Expected a JSON array of event objects."),
            (b'[{"event": "delivered"}, []]', "Expected a JSON array of event objects."),
        ],
    )
    def test_an_authentic_body_hatch_cannot_read_is_a_400(self, client, key, body, error):
        response = post_signed(client, key, body)

        assert response.status_code == 400
        assert response.json() == {"error": error}
        assert not EmailEvent.objects.exists()

    def test_a_body_that_is_not_utf8_is_refused_not_an_error(self, client, key, settings):
        body = '[{"event": "open", "email": "café@example.com"}]'.encode("latin-1")

        signed = post_signed(client, key, body)
        settings.WEBHOOK_SIGNATURES_REQUIRED = False
        unsigned = post_raw(client, body, headers={})

        assert 400 <= signed.status_code < 500
        assert unsigned.status_code == 400
        assert not EmailEvent.objects.exists()

    def test_a_body_over_the_upload_limit_is_a_413_and_nothing_is_stored(
        self, client, key, settings, sent_email
    ):
        one = event_for(sent_email, "open")
        count = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // len(encode([one])) + 100
        body = encode([event_for(sent_email, "open") for _ in range(count)])
        assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

        response = post_signed(client, key, body)

        assert response.status_code == 413
        assert response.json() == {
            "error": "The request body is too large: at most "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."
        }
        assert not EmailEvent.objects.exists()

    @pytest.mark.parametrize("method", ["get", "put"])
    def test_only_post_is_allowed(self, client, method):
        response = getattr(client, method)(EVENTS_PATH)

        assert response.status_code == 405
        assert response["Allow"] == "POST"


class TestTrackingEvents:
    """The provider package's reading of a batch: SendGrid's fields become Hatch's event."""

    def test_a_sendgrid_event_becomes_a_tracking_event(self):
        hatch_id = uuid.uuid4()
        bounce = event(
            "bounce",
            email=CUSTOMER,
            message_id="14c5d75ce93.dfd.64b469",
            hatch_email_id=str(hatch_id),
            timestamp=1732890123,
        )

        [tracking] = tracking_events(encode([bounce]))

        assert tracking == TrackingEvent(
            event="bounce",
            status=EmailStatus.BOUNCED,
            occurred_at=datetime.fromtimestamp(1732890123, tz=UTC),
            payload=bounce,
            email_id=hatch_id,
            provider_message_id="14c5d75ce93",
            reported_message_id=bounce["sg_message_id"],
            provider_event_id=bounce["sg_event_id"],
            recipient=CUSTOMER,
            reason=bounce["reason"],
            error_code="bounce",
            suppress=SuppressionReason.BOUNCE,
        )

    def test_an_event_hatch_does_not_track_as_a_status_carries_none(self):
        [opened] = tracking_events(encode([event("open", email=CUSTOMER, message_id="m")]))

        assert (opened.event, opened.status, opened.email_id) == ("open", None, None)

    def test_nul_characters_are_removed_from_every_string(self):
        raw = {
            **event("delivered", email=CUSTOMER, message_id="m"),
            "event": "delivered\x00",
            "email": "\x00" + CUSTOMER,
            "note": {"k\x00": "v"},
        }

        [delivered] = tracking_events(encode([raw]))

        assert (delivered.event, delivered.status) == ("delivered", EmailStatus.DELIVERED)
        assert delivered.recipient == CUSTOMER
        assert delivered.payload["note"] == {"k": "v"}


class TestEventsApplied:
    def test_delivered_marks_the_email_delivered_at_the_events_time(self, client, key, sent_email):
        response = post_signed(
            client, key, [event_for(sent_email, "delivered", timestamp=1732890123)]
        )

        assert response.status_code == 200
        assert response.json() == {"stored": 1, "duplicates": 0, "unmatched": 0}
        sent_email.refresh_from_db()
        assert sent_email.status == EmailStatus.DELIVERED
        assert sent_email.delivered_at == datetime.fromtimestamp(1732890123, tz=UTC)
        assert sent_email.error_message == ""

    def test_an_event_is_matched_by_the_hatch_id_alone(self, client, key):
        # The worker has not recorded the X-Message-Id yet: only the custom arg matches.
        email = services.email_send(to_email=CUSTOMER, subject="Receipt", body="Thanks")
        Email.objects.filter(id=email.id).update(status=EmailStatus.SENDING)
        delivered = event(
            "delivered", email=CUSTOMER, message_id=x_message_id(), hatch_email_id=str(email.id)
        )

        post_signed(client, key, [delivered])

        assert status_of(email) == EmailStatus.DELIVERED
        assert EmailEvent.objects.get().email == email

    @pytest.mark.parametrize("hatch_email_id", [None, "not-a-uuid", "", 42])
    def test_an_event_is_matched_by_the_x_message_id_prefix_of_sg_message_id(
        self, client, key, sent_email, hatch_email_id
    ):
        delivered = event("delivered", email=CUSTOMER, message_id=sent_email.provider_message_id)
        if hatch_email_id is not None:
            delivered["hatch_email_id"] = hatch_email_id

        post_signed(client, key, [delivered])

        assert status_of(sent_email) == EmailStatus.DELIVERED
        assert EmailEvent.objects.get().email == sent_email

    def test_a_bounce_marks_the_email_bounced_and_keeps_the_reason(self, client, key, sent_email):
        post_signed(client, key, [event_for(sent_email, "bounce")])

        sent_email.refresh_from_db()
        assert sent_email.status == EmailStatus.BOUNCED
        assert sent_email.error_message == (
            "550 5.1.1 The email account that you tried to reach does not exist."
        )
        assert sent_email.delivered_at is None

    def test_a_drop_marks_the_email_dropped_and_keeps_the_reason(self, client, key, sent_email):
        post_signed(client, key, [event_for(sent_email, "dropped")])

        sent_email.refresh_from_db()
        assert sent_email.status == EmailStatus.DROPPED
        assert sent_email.error_message == "Bounced Address"

    @pytest.mark.parametrize(
        "kind", ["processed", "deferred", "open", "click", "spamreport", "unsubscribe"]
    )
    def test_other_events_are_stored_without_changing_the_status(
        self, client, key, sent_email, kind
    ):
        response = post_signed(client, key, [event_for(sent_email, kind)])

        assert response.json() == {"stored": 1, "duplicates": 0, "unmatched": 0}
        stored = EmailEvent.objects.get()
        assert (stored.email, stored.event) == (sent_email, kind)
        sent_email.refresh_from_db()
        assert sent_email.status == EmailStatus.SENT
        assert sent_email.error_message == ""

    def test_opens_and_clicks_after_delivery_leave_the_email_delivered(
        self, client, key, sent_email
    ):
        post_signed(client, key, [event_for(sent_email, "delivered", timestamp=1732890010)])

        post_signed(
            client,
            key,
            [
                event_for(sent_email, "open", timestamp=1732890300),
                event_for(sent_email, "click", timestamp=1732890320),
            ],
        )

        assert status_of(sent_email) == EmailStatus.DELIVERED
        assert EmailEvent.objects.filter(email=sent_email).count() == 3

    def test_a_whole_lifecycle_in_one_batch_ends_delivered_with_every_event_kept(
        self, client, key, sent_email
    ):
        kinds = ["processed", "deferred", "delivered", "open", "click"]
        batch = [
            event_for(sent_email, kind, timestamp=1732890000 + 60 * index)
            for index, kind in enumerate(kinds)
        ]

        response = post_signed(client, key, batch)

        assert response.json() == {"stored": 5, "duplicates": 0, "unmatched": 0}
        sent_email.refresh_from_db()
        assert sent_email.status == EmailStatus.DELIVERED
        assert sent_email.delivered_at == datetime.fromtimestamp(1732890120, tz=UTC)
        assert list(sent_email.events.values_list("event", flat=True)) == kinds

    def test_the_raw_event_is_kept(self, client, key, sent_email):
        click = event_for(sent_email, "click")

        post_signed(client, key, [click])

        stored = EmailEvent.objects.get()
        assert stored.payload == click
        assert stored.provider_event_id == click["sg_event_id"]
        assert stored.provider_message_id == click["sg_message_id"]
        assert stored.recipient == CUSTOMER
        assert stored.occurred_at == datetime.fromtimestamp(click["timestamp"], tz=UTC)

    @pytest.mark.parametrize("separately", [False, True])
    def test_delivered_arriving_before_processed_stays_delivered(
        self, client, key, sent_email, separately
    ):
        delivered = event_for(sent_email, "delivered", timestamp=1732890060)
        processed = event_for(sent_email, "processed", timestamp=1732890000)

        if separately:
            post_signed(client, key, [delivered])
            post_signed(client, key, [processed])
        else:
            post_signed(client, key, [delivered, processed])

        sent_email.refresh_from_db()
        assert sent_email.status == EmailStatus.DELIVERED
        assert sent_email.delivered_at == datetime.fromtimestamp(1732890060, tz=UTC)
        assert sent_email.events.count() == 2

    def test_an_event_for_an_unknown_email_is_kept_without_an_email(self, client, key):
        bounce = event("bounce", email="someone@example.org", message_id=x_message_id())

        response = post_signed(client, key, [bounce])

        assert response.status_code == 200
        assert response.json() == {"stored": 1, "duplicates": 0, "unmatched": 1}
        stored = EmailEvent.objects.get()
        assert stored.email is None
        assert stored.payload == bounce

    def test_a_mixed_batch_reports_what_was_stored_and_matched(self, client, key, sent_email):
        batch = [
            event_for(sent_email, "processed", timestamp=1732890000),
            event_for(sent_email, "delivered", timestamp=1732890060),
            event("delivered", email="unknown@example.org", message_id=x_message_id()),
        ]

        response = post_signed(client, key, batch)

        assert response.json() == {"stored": 3, "duplicates": 0, "unmatched": 1}
        assert status_of(sent_email) == EmailStatus.DELIVERED

    def test_an_empty_batch_is_acknowledged(self, client, key):
        response = post_signed(client, key, [])

        assert response.status_code == 200
        assert response.json() == {"stored": 0, "duplicates": 0, "unmatched": 0}


class TestDuplicates:
    def test_the_same_batch_posted_twice_is_stored_once(self, client, key, sent_email):
        batch = [
            event_for(sent_email, kind, timestamp=1732890000 + index)
            for index, kind in enumerate(["processed", "delivered", "open"])
        ]

        first = post_signed(client, key, batch)
        again = post_signed(client, key, batch)

        assert first.json() == {"stored": 3, "duplicates": 0, "unmatched": 0}
        assert again.status_code == 200
        assert again.json() == {"stored": 0, "duplicates": 3, "unmatched": 0}
        assert EmailEvent.objects.count() == 3
        assert status_of(sent_email) == EmailStatus.DELIVERED

    def test_a_retry_with_new_event_ids_is_recognised_by_its_natural_key(
        self, client, key, sent_email
    ):
        batch = [
            event_for(sent_email, "delivered", timestamp=1732890060),
            event_for(sent_email, "open", timestamp=1732890300),
        ]
        post_signed(client, key, batch)
        retry = [{**item, "sg_event_id": item["sg_event_id"] + "-retry"} for item in batch]

        response = post_signed(client, key, retry)

        assert response.json() == {"stored": 0, "duplicates": 2, "unmatched": 0}
        assert EmailEvent.objects.count() == 2

    def test_events_without_an_event_id_are_deduplicated_by_their_natural_key(
        self, client, key, sent_email
    ):
        opened = event_for(sent_email, "open")
        del opened["sg_event_id"]

        post_signed(client, key, [opened])
        response = post_signed(client, key, [opened])

        assert response.json() == {"stored": 0, "duplicates": 1, "unmatched": 0}
        assert EmailEvent.objects.get().provider_event_id is None

    def test_distinct_events_in_the_same_second_are_all_kept(self, client, key, sent_email):
        batch = [
            event_for(sent_email, "open", timestamp=1732890300),
            event_for(sent_email, "click", timestamp=1732890300),
            event_for(sent_email, "open", timestamp=1732890301),
        ]

        response = post_signed(client, key, batch)

        assert response.json() == {"stored": 3, "duplicates": 0, "unmatched": 0}

    def test_a_duplicate_inside_one_batch_is_counted_once(self, client, key, sent_email):
        delivered = event_for(sent_email, "delivered")

        response = post_signed(client, key, [delivered, delivered])

        assert response.json() == {"stored": 1, "duplicates": 1, "unmatched": 0}
        assert EmailEvent.objects.count() == 1


class TestProcessedClosesTheDoubleSendWindow:
    def test_processed_moves_an_email_whose_worker_died_out_of_sending(self, client, key):
        email = services.email_send(to_email=CUSTOMER, subject="Your order", body="Shipped.")
        Email.objects.filter(id=email.id).update(status=EmailStatus.SENDING, attempt_count=1)
        accepted_id = x_message_id()

        post_signed(
            client,
            key,
            [
                event(
                    "processed",
                    email=CUSTOMER,
                    message_id=accepted_id,
                    hatch_email_id=str(email.id),
                )
            ],
        )

        email.refresh_from_db()
        assert email.status == EmailStatus.SENT
        assert email.provider_message_id == accepted_id
        assert email.sent_at is not None
