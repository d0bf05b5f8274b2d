"""Reconciliation: after an attempt with an unknown outcome, look before sending again.

Twilio and SendGrid take no idempotency key. When a send times out after the request was
written (or the connection drops, or the worker dies), the provider may have the record.
The outbox then asks the provider (``find_sent``) on the next attempt and adopts what it
finds; Twilio can be asked (its Messages list), SendGrid cannot.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from emails import services as email_services
from emails.delivery import email_outbox
from emails.models import Email
from messaging import services
from messaging.delivery import sms_outbox
from messaging.models import MessageStatus
from messaging.providers.console import ConsoleSmsProvider
from messaging.providers.twilio import TwilioSmsProvider
from outbox.engine import AMBIGUOUS, LOOKUP_FAILED, RECONCILED, ProviderError
from outbox.models import AttemptOutcome
from testing.fake_providers import Reply

# A delivery refuses to run inside a transaction: no per-test transaction around these.
pytestmark = pytest.mark.django_db(transaction=True)

TO = "+14155552671"
TIMEOUT = 0.3


@pytest.fixture
def fake(fake_providers, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = TIMEOUT
    return fake_providers


def deliver_now(record) -> str:
    """Deliver, skipping the backoff wait."""
    type(record).objects.filter(id=record.id).update(next_attempt_at=timezone.now())
    if isinstance(record, Email):
        return email_outbox.deliver(str(record.id))
    return sms_outbox.deliver(str(record.id))


def attempts(record) -> list[tuple[str, str]]:
    return [(a.outcome, a.error_code) for a in record.attempts.all()]


def settle() -> None:
    """Wait for answers still held by the fake (it records a request once answered)."""
    time.sleep(TIMEOUT * 3 + 0.2)


def twilio(fake, **options) -> TwilioSmsProvider:
    """The Twilio provider, talking to the fake, with a timeout no look-up reaches."""
    return TwilioSmsProvider(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        base_url=fake.base_url,
        timeout=2,
        **options,
    )


def lookups(fake) -> list:
    return [r for r in fake.requests if r.method == "GET"]


def test_an_sms_accepted_but_unanswered_is_adopted_not_sent_again(fake):
    message = services.message_send(to=TO, body="Your table is ready")
    fake.script("twilio", Reply.reply_lost(TIMEOUT * 3))

    assert deliver_now(message) == "queued"
    assert deliver_now(message) == "sent"
    settle()

    [accepted] = fake.twilio_messages()
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (
        MessageStatus.SENT,
        accepted.message_id,
    )
    assert message.num_segments == 1
    assert attempts(message) == [
        (AttemptOutcome.RETRY, AMBIGUOUS),
        (AttemptOutcome.SENT, RECONCILED),
    ]
    [lookup] = lookups(fake)
    assert lookup.query.count("To=%2B14155552671") == 1 and "From=%2B15005550006" in lookup.query


def test_an_sms_the_provider_never_accepted_is_sent_after_the_look_up(fake):
    message = services.message_send(to=TO, body="Your table is ready")
    fake.script("twilio", Reply.stall(TIMEOUT * 3))

    assert deliver_now(message) == "queued"
    assert deliver_now(message) == "sent"

    assert len(fake.twilio_messages()) == 1
    assert len(lookups(fake)) == 1
    assert attempts(message) == [(AttemptOutcome.RETRY, AMBIGUOUS), (AttemptOutcome.SENT, "")]


def test_a_definite_failure_needs_no_look_up(fake):
    message = services.message_send(to=TO, body="Your table is ready")
    fake.script("twilio", Reply.twilio_error(503, 20503, "Service Unavailable"))

    assert deliver_now(message) == "queued"
    assert deliver_now(message) == "sent"

    assert lookups(fake) == []
    assert attempts(message) == [(AttemptOutcome.RETRY, "20503"), (AttemptOutcome.SENT, "")]


def test_a_refused_connection_is_not_ambiguous(settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    message = services.message_send(to=TO, body="Your table is ready")

    assert deliver_now(message) == "queued"

    [(outcome, code)] = attempts(message)
    assert (outcome, code) == (AttemptOutcome.RETRY, "")


def test_a_failed_look_up_sends_nothing_and_the_next_attempt_looks_again(fake):
    message = services.message_send(to=TO, body="Your table is ready")
    fake.script("twilio", Reply.reply_lost(TIMEOUT * 3))
    assert deliver_now(message) == "queued"

    fake.set_mode("twilio", Reply.twilio_error(500, 20500, "Internal Server Error"))
    assert deliver_now(message) == "queued"
    fake.set_mode("twilio", None)
    assert deliver_now(message) == "sent"
    settle()

    assert len(fake.twilio_messages()) == 1
    assert [code for _, code in attempts(message)] == [AMBIGUOUS, LOOKUP_FAILED, RECONCILED]


def test_an_identical_text_already_matched_to_another_message_is_not_adopted(fake):
    earlier = services.message_send(to=TO, body="Same words")
    assert deliver_now(earlier) == "sent"
    message = services.message_send(to=TO, body="Same words")
    fake.script("twilio", Reply.stall(TIMEOUT * 3))

    assert deliver_now(message) == "queued"
    assert deliver_now(message) == "sent"

    earlier.refresh_from_db()
    message.refresh_from_db()
    assert len(fake.twilio_messages()) == 2
    assert earlier.provider_message_id != message.provider_message_id
    assert attempts(message)[-1] == (AttemptOutcome.SENT, "")


def test_a_message_older_than_the_ambiguous_attempt_is_not_adopted(fake):
    provider = twilio(fake)
    sid = provider.send(
        to=TO, from_="+15005550006", body="Old", message_id="m-1"
    ).provider_message_id
    assert (
        provider.find_sent(
            to=TO, from_="+15005550006", body="Old", since=timezone.now() - timedelta(minutes=1)
        ).provider_message_id
        == sid
    )
    assert (
        provider.find_sent(
            to=TO, from_="+15005550006", body="Old", since=timezone.now() + timedelta(minutes=1)
        )
        is None
    )
    assert (
        provider.find_sent(
            to=TO, from_="+15005550006", body="Other", since=timezone.now() - timedelta(minutes=1)
        )
        is None
    )
    assert (
        provider.find_sent(
            to=TO,
            from_="+15005550006",
            body="Old",
            since=timezone.now() - timedelta(minutes=1),
            exclude={sid},
        )
        is None
    )


def test_a_messaging_service_send_is_found_by_its_service(fake):
    service = "MG" + "1" * 32
    provider = twilio(fake, messaging_service_sid=service)
    sid = provider.send(
        to=TO, from_="+15005550006", body="Hi", message_id="m-1"
    ).provider_message_id
    since = timezone.now() - timedelta(minutes=1)

    assert provider.find_sent(to=TO, from_="", body="Hi", since=since).provider_message_id == sid
    assert "From=" not in lookups(fake)[0].query


def test_the_look_up_failing_raises_a_provider_error(fake):
    provider = twilio(fake)
    fake.set_mode("twilio", Reply.twilio_error(503, 20503, "Service Unavailable"))
    with pytest.raises(ProviderError) as excinfo:
        provider.find_sent(to=TO, from_="+15005550006", body="Hi", since=timezone.now())
    assert not excinfo.value.permanent


def test_the_console_provider_finds_nothing():
    assert (
        ConsoleSmsProvider().find_sent(to=TO, from_="+15005550006", body="x", since=timezone.now())
        is None
    )


def test_an_email_accepted_but_unanswered_is_sent_again_sendgrid_cannot_be_asked(fake):
    """The documented limit: at most one duplicate email per lost answer."""
    email = email_services.email_send(to_email="ada@example.com", subject="Receipt", body="Hi")
    fake.script("sendgrid", Reply.reply_lost(TIMEOUT * 3))

    assert deliver_now(email) == "queued"
    assert deliver_now(email) == "sent"
    settle()

    assert len(fake.sendgrid_mails()) == 2
    assert attempts(email) == [(AttemptOutcome.RETRY, AMBIGUOUS), (AttemptOutcome.SENT, "")]


def test_an_email_stalled_before_acceptance_is_sent_once(fake):
    email = email_services.email_send(to_email="ada@example.com", subject="Receipt", body="Hi")
    fake.script("sendgrid", Reply.stall(TIMEOUT * 3))

    assert deliver_now(email) == "queued"
    assert deliver_now(email) == "sent"

    assert len(fake.sendgrid_mails()) == 1
