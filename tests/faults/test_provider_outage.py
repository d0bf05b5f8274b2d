"""Twilio and SendGrid fail in every way while 1,000 SMS and 200 emails are being sent.

The records are accepted through the services (as the API accepts them), queued in
django-tasks-db and delivered by real ``manage.py db_worker`` processes, whose SDKs talk to
testing.fake_providers. The fake answers 500s, then 429s, then hangs past the workers'
timeout, then recovers:

- Twilio's hang *accepts* the message and answers too late (the answer is lost): the
  worker sees a timeout, and only the look-up before the retry (reconciliation) keeps the
  SMS from being sent twice.
- SendGrid's hang stalls *before* accepting, then hangs up. SendGrid has no look-up, so
  when it accepts and the answer is lost the email is sent again: the last test measures
  that (one duplicate per lost answer, never more).

Afterwards every record reached its provider exactly once, none is stuck, and every
attempt row matches a request the fake saw.
"""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from emails import services as email_services
from emails.delivery import email_outbox
from emails.models import Email, EmailAttempt, EmailStatus
from messaging import services as sms_services
from messaging.models import Message, MessageAttempt, MessageStatus
from outbox.engine import AMBIGUOUS, LOOKUP_FAILED, RECONCILED
from testing.fake_providers import Reply
from tests.faults.accounting import (
    accepted_per_record,
    attempts_per_record,
    email_id,
    requests_per_record,
    sendgrid_sends,
    sms_id,
    twilio_lookups,
    twilio_sends,
)

SMS_COUNT = 1_000
EMAIL_COUNT = 200
WORKERS = 4
CLIENTS = 4
TIMEOUT = 1.0  # PROVIDER_TIMEOUT_SECONDS of the workers
HANG = 2.5  # how long a hung request is held: well past the timeout
# Per provider, in order: (fault, reply, requests it answers, how). "mode": every request
# to the provider gets it (Twilio's message list too) until that many sends did; "script":
# exactly that many sends get it, one after the other, while the rest of the API answers.
# Then the provider recovers.
SMS_PHASES = [
    ("500", Reply.twilio_error(500, 20500, "Internal Server Error"), 100, "mode"),
    ("429", Reply.twilio_error(429, 20429, "Too Many Requests"), 100, "mode"),
    ("reply lost", Reply.reply_lost(HANG), 20, "script"),
]
EMAIL_PHASES = [
    ("500", Reply.sendgrid_error(500, "Internal Server Error"), 30, "mode"),
    ("429", Reply.sendgrid_error(429, "too many requests"), 30, "mode"),
    ("stall", Reply.stall(HANG), 8, "script"),
]
PHASE_LIMIT_SECONDS = 60
DRAIN_LIMIT_SECONDS = 120

pytestmark = pytest.mark.django_db(transaction=True)


class OutageScript(threading.Thread):
    """Moves one provider through its fault phases, each lasting a number of requests."""

    def __init__(self, fake, provider: str, phases, sends):
        super().__init__(daemon=True, name=f"outage-{provider}")
        self.fake, self.provider, self.phases, self.sends = fake, provider, phases, sends
        self.injected: dict[str, int] = {}
        self.durations: dict[str, float] = {}
        self.error: str | None = None
        self.stop_event = threading.Event()

    def run(self) -> None:
        try:
            for name, reply, count, how in self.phases:
                started = time.monotonic()
                if how == "mode":
                    self.fake.set_mode(self.provider, reply)
                else:
                    self.fake.set_mode(self.provider, None)
                    self.fake.script(self.provider, *[reply] * count)
                while True:
                    seen = sum(1 for r in self.sends(self.fake.requests) if r.fault is reply)
                    if seen >= count:
                        break
                    if time.monotonic() - started > PHASE_LIMIT_SECONDS or self.stop_event.is_set():
                        self.error = f"{self.provider} {name}: {seen} of {count} requests"
                        return
                    time.sleep(0.05)
                self.fake.set_mode(self.provider, None)
                ended = time.monotonic()
                self.injected[name] = sum(
                    1 for r in self.sends(self.fake.requests) if r.fault is reply
                )
                self.durations[name] = round(ended - started, 1)
        finally:
            self.fake.set_mode(self.provider, None)


def accept(client: int) -> None:
    try:
        for number in range(client, SMS_COUNT, CLIENTS):
            sms_services.message_send(
                to=f"+1415555{number % 100:04d}", body=f"Outage drill SMS {number}"
            )
            if number % (SMS_COUNT // EMAIL_COUNT) == 0:
                email_services.email_send(
                    to_email=f"customer{number}@example.com",
                    subject=f"Outage drill email {number}",
                    body="Your order ships today.",
                )
    finally:
        connection.close()


def test_an_outage_of_both_providers_sends_every_record_exactly_once(
    fake_providers, workers, database_backend, figures
):
    fake = fake_providers
    fake.set_mode("twilio", SMS_PHASES[0][1])
    fake.set_mode("sendgrid", EMAIL_PHASES[0][1])
    pool = workers(
        fake,
        PROVIDER_TIMEOUT_SECONDS=TIMEOUT,
        DELIVERY_RETRY_BASE_SECONDS=0.1,
        DELIVERY_RETRY_MAX_SECONDS=1.0,
        DELIVERY_MAX_ATTEMPTS=50,
    )
    started = time.monotonic()
    pool.start(WORKERS)
    sms_script = OutageScript(fake, "twilio", SMS_PHASES, twilio_sends)
    email_script = OutageScript(fake, "sendgrid", EMAIL_PHASES, sendgrid_sends)
    sms_script.start()
    email_script.start()

    # Accepted as the API accepts them, by several clients at once, emails among the SMS;
    # each record is enqueued when its transaction commits.
    with ThreadPoolExecutor(CLIENTS) as clients:
        list(clients.map(accept, range(CLIENTS)))
    accepted_in = time.monotonic() - started

    deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
    while time.monotonic() < deadline:
        pending = (
            Message.objects.exclude(status=MessageStatus.SENT).count()
            + Email.objects.exclude(status=EmailStatus.SENT).count()
        )
        if pending == 0 and not sms_script.is_alive() and not email_script.is_alive():
            break
        assert pool.alive() == WORKERS, pool.log_tail()
        time.sleep(0.2)
    drained_in = time.monotonic() - started
    sms_script.stop_event.set()
    email_script.stop_event.set()
    sms_script.join(HANG + 1)
    email_script.join(HANG + 1)
    pool.stop()
    connection.close()

    assert sms_script.error is None, sms_script.error
    assert email_script.error is None, email_script.error

    # None is stuck: every record is sent.
    assert Counter(Message.objects.values_list("status", flat=True)) == {
        MessageStatus.SENT: SMS_COUNT
    }, pool.log_tail()
    assert Counter(Email.objects.values_list("status", flat=True)) == {
        EmailStatus.SENT: EMAIL_COUNT
    }, pool.log_tail()

    requests = fake.requests
    sms_ids = {str(pk) for pk in Message.objects.values_list("id", flat=True)}
    email_ids = {str(pk) for pk in Email.objects.values_list("id", flat=True)}

    # Exactly once at the provider, counted by Hatch's id in each accepted request.
    sms_accepted = accepted_per_record(twilio_sends(requests), sms_id)
    email_accepted = accepted_per_record(sendgrid_sends(requests), email_id)
    assert set(sms_accepted) == sms_ids
    assert set(email_accepted) == email_ids
    sms_duplicates = sum(count - 1 for count in sms_accepted.values())
    email_duplicates = sum(count - 1 for count in email_accepted.values())
    assert (sms_duplicates, email_duplicates) == (0, 0)

    # The SID Hatch stored is the one Twilio accepted for that message.
    accepted_sid = {sms_id(r): r.message_id for r in twilio_sends(requests) if r.delivered}
    stored_sid = dict(Message.objects.values_list("id", "provider_message_id"))
    assert {str(k): v for k, v in stored_sid.items()} == accepted_sid

    # Every attempt is recorded: one attempt row per send request the fake saw, plus the
    # attempts that made none (an adopted earlier send, a failed look-up).
    assert attempts_per_record(MessageAttempt, "message_id", with_send=True) == (
        requests_per_record(twilio_sends(requests), sms_id)
    )
    assert attempts_per_record(EmailAttempt, "email_id", with_send=True) == (
        requests_per_record(sendgrid_sends(requests), email_id)
    )
    # Each SMS whose acceptance was never answered was found by the next attempt's
    # look-up and adopted, not sent again.
    reconciled = MessageAttempt.objects.filter(error_code=RECONCILED).count()
    lookups_failed = MessageAttempt.objects.filter(error_code=LOOKUP_FAILED).count()
    replies_lost = MessageAttempt.objects.filter(error_code=AMBIGUOUS).count()
    # Every send whose answer the fake withheld was adopted; a few more may be, if a worker
    # on a busy machine gave up on an answer that was on its way.
    assert sms_script.injected["reply lost"] == SMS_PHASES[2][2]
    assert SMS_PHASES[2][2] <= reconciled <= replies_lost
    # Every attempt after one with an unknown outcome looked first, and only those did.
    assert len(twilio_lookups(requests)) == attempts_after_an_ambiguous_one(MessageAttempt)

    sms_attempts = MessageAttempt.objects.count()
    email_attempts = EmailAttempt.objects.count()
    figures.update(
        {
            "sms": SMS_COUNT,
            "emails": EMAIL_COUNT,
            "workers": WORKERS,
            "provider_timeout_s": TIMEOUT,
            "sms_faults_injected": sms_script.injected,
            "email_faults_injected": email_script.injected,
            "sms_requests": len(twilio_sends(requests)),
            "sms_lookups": len(twilio_lookups(requests)),
            "sms_attempts": sms_attempts,
            "sms_reconciled": reconciled,
            "sms_lookups_failed": lookups_failed,
            "sms_replies_lost": replies_lost,
            "phase_seconds": {"sms": sms_script.durations, "email": email_script.durations},
            "email_requests": len(sendgrid_sends(requests)),
            "email_attempts": email_attempts,
            "max_attempts_one_record": max(
                Message.objects.order_by("-attempt_count").values_list("attempt_count", flat=True)[
                    0
                ],
                Email.objects.order_by("-attempt_count").values_list("attempt_count", flat=True)[0],
            ),
            "duplicates": sms_duplicates + email_duplicates,
            "stuck": 0,
            "lost": 0,
            "accepted_in_s": round(accepted_in, 1),
            "all_sent_in_s": round(drained_in, 1),
        }
    )


def attempts_after_an_ambiguous_one(attempt_model) -> int:
    """Attempts that followed, for the same record, one whose outcome was unknown."""
    count, seen_ambiguous = 0, set()
    for record_id, code in attempt_model.objects.order_by("started_at", "id").values_list(
        "message_id", "error_code"
    ):
        if record_id in seen_ambiguous:
            count += 1
        if code == AMBIGUOUS:
            seen_ambiguous.add(record_id)
    return count


def test_an_email_whose_acceptance_went_unanswered_is_sent_once_more_per_lost_answer(
    fake_providers, settings, figures
):
    """SendGrid accepts, the answer is lost (the worker times out): the email is sent
    again, since SendGrid cannot be asked. One extra send per lost answer, and no more (a
    retry can lose its answer too: that email then goes out three times)."""
    settings.PROVIDER_TIMEOUT_SECONDS = 1.0
    settings.DELIVERY_RETRY_BASE_SECONDS = 0.05
    settings.DELIVERY_RETRY_MAX_SECONDS = 0.2
    lost_answers = 10
    emails = [
        email_services.email_send(to_email=f"c{n}@example.com", subject=f"Lost {n}", body="Hi")
        for n in range(60)
    ]
    fake_providers.script("sendgrid", *[Reply.reply_lost(HANG)] * lost_answers)

    def worker() -> None:
        try:
            deadline = time.monotonic() + 60
            while Email.objects.exclude(status=EmailStatus.SENT).exists():
                assert time.monotonic() < deadline
                for pk in Email.objects.filter(status=EmailStatus.QUEUED).values_list(
                    "id", flat=True
                ):
                    email_outbox.deliver(str(pk))
                time.sleep(0.05)
        finally:
            connection.close()

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(worker) for _ in range(WORKERS)]:
            future.result()
    time.sleep(HANG + 0.2)  # the fake records a held request once it has answered it

    accepted = accepted_per_record(fake_providers.sendgrid_mails(), email_id)
    extra_sends = sum(count - 1 for count in accepted.values())
    # Every attempt that timed out here had been accepted (the fake refuses nothing).
    unanswered = EmailAttempt.objects.filter(error_code=AMBIGUOUS).count()
    assert len(accepted) == len(emails)
    # Exactly one extra send per unanswered acceptance: the scripted ones, and any answer
    # a busy machine was too slow to read in time.
    assert extra_sends == unanswered >= lost_answers
    figures.update(
        {
            "emails": len(emails),
            "answers_lost": unanswered,
            "extra_sends": extra_sends,
            "emails_sent_twice_or_more": sum(count > 1 for count in accepted.values()),
            "lost": 0,
        }
    )
