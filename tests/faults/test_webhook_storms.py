"""Webhook storms: the same provider callback many times, all at once, in any order.

Providers retry webhooks they think failed and deliver them in no particular order; a
proxy may replay them. Here SMS and emails really sent through the outbox (to the fake
providers, so their SIDs and X-Message-Ids are real) receive every callback ten times,
forwards and backwards, from parallel clients. Each must end in exactly the right state:

- Twilio: statuses only move forward (a late "sent" never undoes "delivered"), the first
  error code stays, and every callback is stored as a MessageEvent (the audit trail keeps
  each copy, as designed: Twilio's callbacks carry no id of their own).
- SendGrid: each event is stored once (by sg_event_id); copies are counted as duplicates.
"""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

from emails import services as email_services
from emails.delivery import email_outbox
from emails.models import EmailEvent, EmailStatus
from emails.tests import sendgrid_payloads as sendgrid
from messaging import services as sms_services
from messaging.delivery import sms_outbox
from messaging.models import MessageEvent, MessageStatus
from messaging.tests import twilio_payloads as twilio
from tests.faults.accounting import email_id, sms_id

COPIES = 10
THREADS = 8
SEED = 20261129

pytestmark = pytest.mark.django_db(transaction=True)


def storm(calls) -> list[int]:
    """Run the calls from THREADS parallel clients, each with its own connection."""
    local = threading.local()

    def run(call):
        if not hasattr(local, "client"):
            local.client = Client()
        try:
            return call(local.client).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, calls))


def test_twilio_status_callbacks_ten_times_in_any_order_leave_the_right_state(
    fake_providers, figures
):
    happy = [sms_services.message_send(to=f"+1415555{n:04d}", body=f"Storm {n}") for n in range(20)]
    failing = sms_services.message_send(to="+14155559999", body="Storm that fails")
    for message in [*happy, failing]:
        assert sms_outbox.deliver(str(message.id)) == "sent"
    # The callback URL Hatch gave Twilio, and the SID Twilio gave Hatch, per message.
    sent = {sms_id(r): r for r in fake_providers.twilio_messages()}

    def callback(message, status, **extra):
        request = sent[str(message.id)]
        url = urlsplit(request.field("StatusCallback"))
        params = twilio.status_callback(
            sid=request.message_id, status=status, to=message.to_contact, **extra
        )
        return lambda client: twilio.post_signed(client, f"{url.path}?{url.query}", params)

    forwards = ["queued", "sent", "delivered"]
    calls = []
    for index, message in enumerate(happy):
        # Half backwards (delivered first, each copy in turn), half shuffled.
        order = list(reversed(forwards)) * COPIES if index % 2 else forwards * COPIES
        if index % 2 == 0:
            random.Random(SEED + index).shuffle(order)
        calls += [callback(message, status) for status in order]
    failure = [("undelivered", "30007"), ("sent", ""), ("queued", "")] * COPIES
    random.Random(SEED).shuffle(failure)
    calls += [
        callback(failing, status, **({"error_code": code} if code else {}))
        for status, code in failure
    ]
    random.Random(SEED).shuffle(calls)  # messages interleaved, as a storm arrives

    clock = time.monotonic()
    statuses = storm(calls)
    elapsed = time.monotonic() - clock

    assert statuses == [200] * len(calls)
    for message in happy:
        message.refresh_from_db()
        assert (message.status, message.error_code) == (MessageStatus.DELIVERED, None)
        assert message.delivered_at is not None and message.sent_at is not None
        assert message.provider_message_id == sent[str(message.id)].message_id
        assert message.events.count() == len(forwards) * COPIES
    failing.refresh_from_db()
    assert (failing.status, failing.error_code) == (MessageStatus.UNDELIVERED, 30007)
    assert failing.delivered_at is None
    assert MessageEvent.objects.count() == len(calls)
    # Nothing was sent again because of a callback.
    assert len(fake_providers.twilio_messages()) == len(happy) + 1

    figures.update(
        {
            "messages": len(happy) + 1,
            "callbacks": len(calls),
            "copies_of_each": COPIES,
            "parallel_clients": THREADS,
            "answered_200": statuses.count(200),
            "wrong_final_states": 0,
            "events_stored": MessageEvent.objects.count(),
            "seconds": round(elapsed, 2),
        }
    )


def test_the_same_sendgrid_batch_ten_times_and_reversed_is_applied_once(
    fake_providers, settings, figures
):
    key = sendgrid.SigningKey()
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = key.public_key
    emails = [
        email_services.email_send(to_email=f"c{n}@example.com", subject=f"Storm {n}", body="Hi")
        for n in range(10)
    ]
    for email in emails:
        assert email_outbox.deliver(str(email.id)) == "sent"
    message_ids = {email_id(r): r.message_id for r in fake_providers.sendgrid_mails()}

    def events(email, kinds):
        return [
            sendgrid.event(
                kind,
                email=email.to_email,
                message_id=message_ids[str(email.id)],
                hatch_email_id=str(email.id),
                timestamp=1732890000 + step,
            )
            for step, kind in enumerate(kinds)
        ]

    batch = []
    for index, email in enumerate(emails):
        kinds = ["processed", "bounce"] if index == 0 else ["processed", "delivered", "open"]
        batch += events(email, kinds)
    forwards, backwards = sendgrid.encode(batch), sendgrid.encode(list(reversed(batch)))
    # Ten copies of the batch and ten of it reversed, all at once.
    bodies = [forwards, backwards] * COPIES
    calls = [
        (lambda client, body=body: sendgrid.post_raw(client, body, headers=key.headers(body)))
        for body in bodies
    ]

    clock = time.monotonic()
    statuses = storm(calls)
    elapsed = time.monotonic() - clock

    assert statuses == [200] * len(calls)
    assert EmailEvent.objects.count() == len(batch)
    bounced, *delivered = emails
    bounced.refresh_from_db()
    assert bounced.status == EmailStatus.BOUNCED and bounced.delivered_at is None
    for email in delivered:
        email.refresh_from_db()
        assert email.status == EmailStatus.DELIVERED and email.delivered_at is not None
        assert email.events.count() == 3
    assert len(fake_providers.sendgrid_mails()) == len(emails)

    figures.update(
        {
            "emails": len(emails),
            "events_in_batch": len(batch),
            "batches_posted": len(bodies),
            "events_posted": len(bodies) * len(batch),
            "events_stored": EmailEvent.objects.count(),
            "duplicates_dropped": len(bodies) * len(batch) - EmailEvent.objects.count(),
            "wrong_final_states": 0,
            "seconds": round(elapsed, 2),
        }
    )
