"""Workers killed with SIGKILL in the middle of a batch: the sweeper recovers every record.

Real ``manage.py db_worker`` processes send a batch through a slow provider; all of them are
killed at once while some records are in flight (claimed, maybe already accepted by the
provider, never written down). ``manage.py sweep_outbox`` then finds those records and the
queued ones whose tasks died with the workers, fresh workers finish the batch, and:

- no record is lost: every one ends sent;
- no SMS is sent twice: the first attempt after an interrupted one looks the SMS up at
  Twilio and adopts what it finds;
- an email in flight may be sent twice (SendGrid cannot be asked): at most the ones in
  flight, and the test says how many.

The same holds for scheduled records, whose deferred tasks wait in the queue: none goes
before its time, and none that was canceled goes at all.
"""

import re
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F, Min
from django.utils import timezone

from emails import services as email_services
from emails.models import Email, EmailAttempt, EmailStatus
from messaging import services as sms_services
from messaging.delivery import sms_outbox
from messaging.models import Message, MessageAttempt, MessageStatus
from outbox.engine import RECONCILED
from outbox.models import AttemptOutcome
from outbox.scheduling import SCHEDULE_MIN_LEAD
from testing.fake_providers import Reply
from testing.live_server import run_manage_command
from tests.faults.accounting import (
    accepted_per_record,
    email_id,
    sms_id,
)

SMS_COUNT = 120
EMAIL_COUNT = 40
WORKERS = 3
# Each send is accepted at once and answered after this long: a worker is almost always
# in the middle of a call, holding a record the provider has and it has not written down.
SEND_SECONDS = 0.2
DRAIN_LIMIT_SECONDS = 90


def sweep(env: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Run ``manage.py sweep_outbox`` once; return {channel: (lost requeued, stuck requeued)}."""
    result = run_manage_command("sweep_outbox", env=env, timeout=60)
    result.check_returncode()
    counts = {}
    for channel, lost, stuck in re.findall(
        r"^(SMS|Email): (\d+) lost queued enqueued again, (\d+) stuck", result.stdout, re.M
    ):
        counts[channel] = (int(lost), int(stuck))
    assert set(counts) == {"SMS", "Email"}, result.stdout + result.stderr
    return counts


def kill_mid_batch(pool, fake, total: int) -> None:
    """Kill every worker in the middle: a third of ``total`` accepted and records in
    flight; then let the fake answer the dead workers' held requests, and answer at once."""
    deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
    while not (
        len(fake.twilio_messages()) + len(fake.sendgrid_mails()) >= total // 3
        and Message.objects.filter(status=MessageStatus.SENDING).count()
        + Email.objects.filter(status=EmailStatus.SENDING).count()
        >= 2
    ):
        assert time.monotonic() < deadline, pool.log_tail()
        time.sleep(0.01)
    pool.kill()
    time.sleep(SEND_SECONDS + 0.2)
    fake.set_mode("twilio", None)
    fake.set_mode("sendgrid", None)


def wait_until_all_sent(pool) -> None:
    deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
    while time.monotonic() < deadline:
        pending = (
            Message.objects.exclude(status=MessageStatus.SENT).count()
            + Email.objects.exclude(status=EmailStatus.SENT).count()
        )
        if pending == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"{pending} records not sent\n{pool.log_tail()}")


@pytest.mark.django_db(transaction=True)
def test_workers_killed_mid_batch_lose_nothing_and_send_no_sms_twice(
    fake_providers, workers, database_backend, figures
):
    fake = fake_providers
    slow = Reply(delay=SEND_SECONDS, accept_first=True)
    fake.set_mode("twilio", slow)
    fake.set_mode("sendgrid", slow)
    # One batch, emails among the SMS, in the queue before any worker starts.
    for number in range(SMS_COUNT):
        sms_services.message_send(to=f"+1415555{number % 50:04d}", body=f"Kill drill {number}")
        if number % (SMS_COUNT // EMAIL_COUNT) == 0:
            email_services.email_send(
                to_email=f"customer{number}@example.com", subject=f"Kill drill {number}", body="Hi"
            )
    total = SMS_COUNT + EMAIL_COUNT
    settings = {
        "PROVIDER_TIMEOUT_SECONDS": 2,
        "DELIVERY_RETRY_BASE_SECONDS": 0.1,
        "DELIVERY_RETRY_MAX_SECONDS": 0.5,
        # The sweeper treats anything "sending" as abandoned at once, and any queued
        # record as a lost enqueue: the dead workers' tasks will never run.
        "OUTBOX_SENDING_TIMEOUT_SECONDS": 0,
        "OUTBOX_QUEUED_GRACE_SECONDS": 0,
    }
    first = workers(fake, **settings)
    started = time.monotonic()
    first.start(WORKERS)

    kill_mid_batch(first, fake, total)
    killed_at = time.monotonic() - started

    sms_in_flight = set(
        Message.objects.filter(status=MessageStatus.SENDING).values_list("id", flat=True)
    )
    emails_in_flight = set(
        Email.objects.filter(status=EmailStatus.SENDING).values_list("id", flat=True)
    )
    in_flight = len(sms_in_flight) + len(emails_in_flight)
    assert in_flight >= 1
    accepted_at_kill = len(fake.twilio_messages()) + len(fake.sendgrid_mails())
    sms_in_flight_accepted = {
        sms_id(r) for r in fake.twilio_messages() if sms_id(r) in map(str, sms_in_flight)
    }
    emails_in_flight_accepted = {
        email_id(r) for r in fake.sendgrid_mails() if email_id(r) in map(str, emails_in_flight)
    }

    swept = sweep(first.env)
    assert swept["SMS"][1] == len(sms_in_flight)
    assert swept["Email"][1] == len(emails_in_flight)
    connection.close()

    second = workers(fake, **settings)
    second.start(WORKERS)
    wait_until_all_sent(second)
    recovered_in = time.monotonic() - started - killed_at
    second.stop()

    # None lost.
    assert Counter(Message.objects.values_list("status", flat=True)) == {
        MessageStatus.SENT: SMS_COUNT
    }
    assert Counter(Email.objects.values_list("status", flat=True)) == {
        EmailStatus.SENT: EMAIL_COUNT
    }
    sms_accepted = accepted_per_record(fake.twilio_messages(), sms_id)
    email_accepted = accepted_per_record(fake.sendgrid_mails(), email_id)
    assert len(sms_accepted) == SMS_COUNT and len(email_accepted) == EMAIL_COUNT

    # No SMS twice: each interrupted one that Twilio had was adopted, not sent again.
    sms_duplicates = sum(count - 1 for count in sms_accepted.values())
    assert sms_duplicates == 0
    reconciled = MessageAttempt.objects.filter(error_code=RECONCILED)
    assert {str(a.message_id) for a in reconciled} == sms_in_flight_accepted
    interrupted = MessageAttempt.objects.filter(outcome=AttemptOutcome.INTERRUPTED)
    assert {a.message_id for a in interrupted} == sms_in_flight
    stored = {str(k): v for k, v in Message.objects.values_list("id", "provider_message_id")}
    assert stored == {sms_id(r): r.message_id for r in fake.twilio_messages()}

    # Emails: at most the ones in flight twice, exactly those SendGrid had accepted.
    email_duplicates = {key for key, count in email_accepted.items() if count > 1}
    assert email_duplicates == emails_in_flight_accepted
    assert len(email_duplicates) <= len(emails_in_flight)

    figures.update(
        {
            "sms": SMS_COUNT,
            "emails": EMAIL_COUNT,
            "workers_killed": WORKERS,
            "killed_after_s": round(killed_at, 1),
            "accepted_before_kill": accepted_at_kill,
            "in_flight_at_kill": {"sms": len(sms_in_flight), "emails": len(emails_in_flight)},
            "in_flight_already_accepted": {
                "sms": len(sms_in_flight_accepted),
                "emails": len(emails_in_flight_accepted),
            },
            "swept": swept,
            "sms_reconciled": reconciled.count(),
            "sms_duplicates": sms_duplicates,
            "email_duplicates": len(email_duplicates),
            "lost": 0,
            "recovered_in_s": round(recovered_in, 1),
        }
    )


@pytest.mark.django_db(transaction=True)
def test_a_record_stuck_sending_at_its_last_attempt_is_reconciled_not_failed(
    fake_providers, settings
):
    """A worker died after Twilio accepted the SMS, on its last allowed attempt: the sweeper
    finds the SMS at Twilio and marks it sent with Twilio's SID, instead of failing it."""
    settings.DELIVERY_MAX_ATTEMPTS = 1
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 0
    accepted = sms_services.message_send(to="+14155550123", body="Last chance")
    never_sent = sms_services.message_send(to="+14155550124", body="Last chance")
    for message in (accepted, never_sent):
        assert len(sms_outbox.claim(message.id)) == 1  # the dying worker's claim
    [job] = sms_outbox.send_jobs([Message.objects.get(id=accepted.id)], {})
    job.send()  # ...which Twilio accepted
    [sid] = [r.message_id for r in fake_providers.twilio_messages()]

    counts = sms_outbox.sweep()

    assert counts["reconciled_stuck"] == 1
    accepted.refresh_from_db()
    never_sent.refresh_from_db()
    assert (accepted.status, accepted.provider_message_id) == (MessageStatus.SENT, sid)
    assert [(a.outcome, a.error_code) for a in accepted.attempts.all()] == [
        (AttemptOutcome.SENT, RECONCILED)
    ]
    # Nothing at Twilio for the other one: the attempt limit fails it, as before.
    assert never_sent.status == MessageStatus.FAILED
    assert [a.outcome for a in never_sent.attempts.all()] == [AttemptOutcome.INTERRUPTED]
    assert len(fake_providers.twilio_messages()) == 1
    assert accepted.sent_at <= timezone.now()


SCHEDULED_SMS = 90
SCHEDULED_EMAILS = 18
CANCELED_EVERY = 10  # every tenth SMS is canceled while it waits: it must never go


@pytest.mark.django_db(transaction=True)
def test_scheduled_records_go_once_and_never_early_through_killed_workers(
    fake_providers, workers, database_backend, figures
):
    """Scheduled SMS and emails, their deferred tasks in the database queue, due within a
    few seconds of each other: the workers are killed while sending them. Every one is
    sent once (emails: at most once more per one in flight), none before its time, and
    none that was canceled."""
    fake = fake_providers
    slow = Reply(delay=SEND_SECONDS, accept_first=True)
    fake.set_mode("twilio", slow)
    fake.set_mode("sendgrid", slow)
    # As soon as a schedule may be: the test waits for it.
    first_due = timezone.now() + SCHEDULE_MIN_LEAD + timedelta(seconds=3)
    canceled = set()
    for number in range(SCHEDULED_SMS):
        message = sms_services.message_send(
            to=f"+1415555{number % 50:04d}",
            body=f"Scheduled drill {number}",
            send_at=first_due + timedelta(milliseconds=40 * number),
        )
        if number % CANCELED_EVERY == 0:
            canceled.add(sms_services.message_cancel(message=message).id)
    for number in range(SCHEDULED_EMAILS):
        email_services.email_send(
            to_email=f"customer{number}@example.com",
            subject=f"Scheduled drill {number}",
            body="Hi",
            send_at=first_due + timedelta(milliseconds=200 * number),
        )
    to_send = SCHEDULED_SMS - len(canceled) + SCHEDULED_EMAILS
    settings = {
        "PROVIDER_TIMEOUT_SECONDS": 2,
        "DELIVERY_RETRY_BASE_SECONDS": 0.1,
        "DELIVERY_RETRY_MAX_SECONDS": 0.5,
        "OUTBOX_SENDING_TIMEOUT_SECONDS": 0,
        "OUTBOX_QUEUED_GRACE_SECONDS": 0,
    }
    first = workers(fake, **settings)
    first.start(WORKERS)

    # Nothing goes early: the workers idle until the first is due.
    while timezone.now() < first_due - timedelta(seconds=1):
        assert not fake.twilio_messages() and not fake.sendgrid_mails()
        time.sleep(0.2)
    kill_mid_batch(first, fake, to_send)
    emails_in_flight = set(
        Email.objects.filter(status=EmailStatus.SENDING).values_list("id", flat=True)
    )
    emails_in_flight_accepted = {
        email_id(r) for r in fake.sendgrid_mails() if email_id(r) in map(str, emails_in_flight)
    }
    in_flight = Message.objects.filter(status=MessageStatus.SENDING).count() + len(emails_in_flight)
    swept = sweep(first.env)
    connection.close()

    second = workers(fake, **settings)
    second.start(WORKERS)
    deadline = time.monotonic() + DRAIN_LIMIT_SECONDS
    while (
        Message.objects.exclude(status__in=[MessageStatus.SENT, MessageStatus.CANCELED]).count()
        + Email.objects.exclude(status=EmailStatus.SENT).count()
    ):
        assert time.monotonic() < deadline, second.log_tail()
        time.sleep(0.2)
    second.stop()

    # None lost, none canceled sent, no SMS twice.
    still_canceled = Message.objects.filter(status=MessageStatus.CANCELED)
    assert set(still_canceled.values_list("id", flat=True)) == canceled
    sms_accepted = accepted_per_record(fake.twilio_messages(), sms_id)
    assert set(sms_accepted) == {
        str(pk) for pk in Message.objects.exclude(id__in=canceled).values_list("id", flat=True)
    }
    assert sum(count - 1 for count in sms_accepted.values()) == 0
    email_accepted = accepted_per_record(fake.sendgrid_mails(), email_id)
    assert len(email_accepted) == SCHEDULED_EMAILS
    email_duplicates = {key for key, count in email_accepted.items() if count > 1}
    assert email_duplicates <= emails_in_flight_accepted
    # Never early: no attempt started before its record's time.
    assert not MessageAttempt.objects.filter(started_at__lt=F("message__scheduled_for")).exists()
    assert not EmailAttempt.objects.filter(started_at__lt=F("email__scheduled_for")).exists()
    first_attempts = MessageAttempt.objects.values("message").annotate(
        late=Min("started_at") - F("message__scheduled_for")
    )
    lateness = sorted(row["late"].total_seconds() for row in first_attempts)
    figures.update(
        {
            "scheduled": {"sms": SCHEDULED_SMS, "emails": SCHEDULED_EMAILS},
            "canceled": len(canceled),
            "workers_killed": WORKERS,
            "in_flight_at_kill": in_flight,
            "swept": swept,
            "sms_duplicates": 0,
            "email_duplicates": len(email_duplicates),
            "sent_early": 0,
            "lost": 0,
            "first_attempt_lateness_s": {
                "median": round(lateness[len(lateness) // 2], 2),
                "max (after the kill and the sweep)": round(lateness[-1], 2),
            },
        }
    )
