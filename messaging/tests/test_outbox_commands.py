"""retry_failed and sweep_outbox: the operator's commands for the delivery outbox."""

import os
import signal
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.tasks import default_task_backend
from django.utils import timezone

from consent.models import Suppression
from emails.delivery import email_outbox
from emails.models import Email, EmailAttempt, EmailStatus
from emails.tests.factories import EmailFactory
from messaging.delivery import sms_outbox
from messaging.models import Message, MessageAttempt, MessageStatus
from messaging.tests.factories import MessageFactory
from outbox.management.commands import sweep_outbox
from outbox.models import AttemptOutcome

# What each sweep enqueues is checked exactly: the reports' refresh is not due.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reports_counted")]

SEND_SMS = "messaging.tasks.send_message"
SEND_EMAIL = "emails.tasks.send_email"


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def sms_task(message: Message) -> tuple[str, list[str]]:
    return (SEND_SMS, [str(message.pk)])


def email_task(email: Email) -> tuple[str, list[str]]:
    return (SEND_EMAIL, [str(email.pk)])


def ago(**kwargs) -> timezone.datetime:
    return timezone.now() - timedelta(**kwargs)


def failed_sms(error_code=30003, attempts=2, **kwargs) -> Message:
    message = MessageFactory(
        status=MessageStatus.FAILED,
        error_code=error_code,
        error_message="Unreachable destination handset",
        provider_message_id=f"SM{error_code:032d}",
        sent_at=ago(hours=1),
        attempt_count=attempts,
        **kwargs,
    )
    for number in range(attempts):
        MessageAttempt.objects.create(
            message=message,
            started_at=ago(minutes=60 - number),
            duration_ms=120,
            outcome=AttemptOutcome.RETRY if number < attempts - 1 else AttemptOutcome.FAILED,
            error_code=str(error_code),
        )
    return message


def failed_email(error_code="401", **kwargs) -> Email:
    email = EmailFactory(
        status=EmailStatus.FAILED,
        error_code=error_code,
        error_message="The provided authorization grant is invalid",
        attempt_count=1,
        **kwargs,
    )
    EmailAttempt.objects.create(
        email=email, started_at=ago(hours=1), outcome=AttemptOutcome.FAILED, error_code=error_code
    )
    return email


def set_updated_at(record, when) -> None:
    """Pretend the record failed at ``when`` (save() would stamp the current time)."""
    type(record).objects.filter(pk=record.pk).update(updated_at=when)


# retry_failed


def test_retry_failed_requeues_failed_records_and_enqueues_them_after_commit(
    enqueued_tasks, django_capture_on_commit_callbacks
):
    sms = failed_sms()
    email = failed_email()
    left_alone = [
        MessageFactory(status=MessageStatus.SENT),
        MessageFactory(status=MessageStatus.UNDELIVERED, error_code=30006),
        MessageFactory(status=MessageStatus.QUEUED),
        EmailFactory(status=EmailStatus.BOUNCED),
        EmailFactory(status=EmailStatus.DELIVERED),
    ]
    before = timezone.now()

    with django_capture_on_commit_callbacks() as callbacks:
        output = run("retry_failed")
    assert enqueued_tasks() == []  # nothing before the commit
    for callback in callbacks:
        callback()

    assert sorted(enqueued_tasks()) == sorted([sms_task(sms), email_task(email)])
    sms.refresh_from_db()
    email.refresh_from_db()
    for record in (sms, email):
        assert record.status == "queued"
        assert before <= record.next_attempt_at <= timezone.now()
        assert record.attempt_count == 0
        assert not record.error_code
        assert record.error_message == ""
        assert record.provider_message_id is None
        assert record.sent_at is None
    # The history stays.
    assert sms.attempts.count() == 2
    assert email.attempts.count() == 1
    for record in left_alone:
        status = record.status
        record.refresh_from_db()
        assert record.status == status
    assert "SMS: 1 re-queued." in output
    assert "Email: 1 re-queued." in output


@pytest.fixture
def failures():
    """Two failed SMS and two failed emails, one of each failed two days ago."""
    records = {
        "old_sms": failed_sms(error_code=30003),
        "new_sms": failed_sms(error_code=21211),
        "old_email": failed_email(error_code="401"),
        "new_email": failed_email(error_code="400"),
    }
    set_updated_at(records["old_sms"], ago(days=2))
    set_updated_at(records["old_email"], ago(days=2))
    return records


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {"old_sms", "new_sms", "old_email", "new_email"}),
        (["--channel", "all"], {"old_sms", "new_sms", "old_email", "new_email"}),
        (["--channel", "sms"], {"old_sms", "new_sms"}),
        (["--channel", "email"], {"old_email", "new_email"}),
        (["--error-code", "30003"], {"old_sms"}),
        (["--error-code", "400"], {"new_email"}),
        (["--channel", "sms", "--error-code", "401"], set()),
        (["--error-code", "not-a-number"], set()),
        (["--since", "{yesterday}"], {"new_sms", "new_email"}),
        (["--id", "{old_sms}", "{new_email}"], {"old_sms", "new_email"}),
        (["--id", "{old_sms}", "--id", "{new_sms}"], {"old_sms", "new_sms"}),
        (["--channel", "email", "--id", "{old_sms}", "{old_email}"], {"old_email"}),
    ],
)
def test_retry_failed_requeues_only_what_the_filters_select(
    failures, enqueued_tasks, django_capture_on_commit_callbacks, args, expected
):
    values = {name: str(record.pk) for name, record in failures.items()}
    values["yesterday"] = ago(days=1).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        run("retry_failed", *[arg.format(**values) for arg in args])

    requeued = {
        name
        for name, record in failures.items()
        if type(record).objects.get(pk=record.pk).status == "queued"
    }
    assert requeued == expected
    assert sorted(task for _, (task,) in enqueued_tasks()) == sorted(
        values[name] for name in expected
    )


def test_retry_failed_since_reads_a_time_without_offset_in_the_time_zone(
    failures, django_capture_on_commit_callbacks
):
    yesterday = timezone.localtime(ago(days=1)).replace(tzinfo=None)

    with django_capture_on_commit_callbacks(execute=True):
        output = run("retry_failed", "--since", yesterday.isoformat(timespec="minutes"))

    assert "SMS: 1 re-queued." in output
    assert "Email: 1 re-queued." in output


def test_retry_failed_dry_run_counts_and_changes_nothing(
    failures, enqueued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        output = run("retry_failed", "--dry-run")

    assert callbacks == []
    assert enqueued_tasks() == []
    for record in failures.values():
        record.refresh_from_db()
        assert record.status == "failed"
        assert record.error_code
    assert "SMS: 2 would be re-queued." in output
    assert "Email: 2 would be re-queued." in output
    assert "Dry run: nothing was changed." in output


def test_retry_failed_leaves_sms_to_opted_out_recipients_failed(
    enqueued_tasks, django_capture_on_commit_callbacks
):
    stopped = failed_sms(error_code=21610, conversation__reply_to="+14155552671")
    other = failed_sms(error_code=30003, conversation__reply_to="+14155550111")
    Suppression.objects.create(address="+14155552671", channel="sms", reason="stop")

    with django_capture_on_commit_callbacks(execute=True):
        output = run("retry_failed", "--channel", "sms")

    stopped.refresh_from_db()
    other.refresh_from_db()
    assert stopped.status == MessageStatus.FAILED
    assert stopped.error_code == 21610
    assert other.status == MessageStatus.QUEUED
    assert enqueued_tasks() == [sms_task(other)]
    assert "SMS: 1 re-queued; 1 not retried: the recipient opted out (replied STOP)." in output
    assert str(stopped.pk) in output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--since", "yesterday"], "--since is not an ISO 8601 date or time: 'yesterday'."),
        (["--since", "2026-02-30"], "--since is not an ISO 8601 date or time"),
        (["--id", "12345"], "--id is not a UUID: '12345'."),
    ],
)
def test_retry_failed_refuses_unreadable_filters(failures, args, error):
    with pytest.raises(CommandError, match=error):
        run("retry_failed", *args)

    assert Message.objects.filter(status=MessageStatus.FAILED).count() == 2


# sweep_outbox


def test_sweep_enqueues_again_records_queued_past_the_grace_period_only(settings, enqueued_tasks):
    overdue = ago(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS + 5)
    lost_sms = MessageFactory(next_attempt_at=overdue)
    lost_email = EmailFactory(next_attempt_at=overdue)
    MessageFactory(next_attempt_at=timezone.now())  # its task is on its way
    EmailFactory(next_attempt_at=timezone.now())
    MessageFactory(next_attempt_at=timezone.now() + timedelta(minutes=5))  # a retry, later
    MessageFactory(status=MessageStatus.FAILED, next_attempt_at=overdue)

    output = run("sweep_outbox")

    assert sorted(enqueued_tasks()) == sorted([sms_task(lost_sms), email_task(lost_email)])
    assert (
        "SMS: 1 lost queued enqueued again, 0 stuck sending queued again, 0 stuck sending "
        "found sent by the provider." in output
    )
    assert (
        "Email: 1 lost queued enqueued again, 0 stuck sending queued again, 0 stuck "
        "sending found sent by the provider." in output
    )


CHANNELS = {
    "sms": (MessageFactory, MessageAttempt, "message", SEND_SMS),
    "email": (EmailFactory, EmailAttempt, "email", SEND_EMAIL),
}


@pytest.mark.parametrize("channel", CHANNELS)
def test_sweep_requeues_a_record_stuck_in_sending_with_an_interrupted_attempt(
    settings, django_capture_on_commit_callbacks, enqueued_tasks, channel
):
    factory, attempt_model, record_field, task = CHANNELS[channel]
    claimed_at = ago(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS + 5)
    stuck = factory(status="sending", claimed_at=claimed_at, attempt_count=1)
    busy = factory(status="sending", claimed_at=ago(seconds=5), attempt_count=1)

    with django_capture_on_commit_callbacks(execute=True):
        run("sweep_outbox")

    stuck.refresh_from_db()
    busy.refresh_from_db()
    assert stuck.status == "queued"
    assert stuck.next_attempt_at > timezone.now()
    attempt = attempt_model.objects.get(**{record_field: stuck})
    assert attempt.outcome == AttemptOutcome.INTERRUPTED
    assert attempt.started_at == claimed_at
    assert attempt.duration_ms is None
    # Enqueued again after commit, to run when its backoff is over.
    assert enqueued_tasks() == [(task, [str(stuck.pk)])]
    assert default_task_backend.results[0].task.run_after == stuck.next_attempt_at
    # A worker still inside its provider call is left to finish it.
    assert busy.status == "sending"
    assert not attempt_model.objects.filter(**{record_field: busy}).exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_sweep_fails_a_stuck_record_that_reached_the_attempt_limit(
    settings, django_capture_on_commit_callbacks, enqueued_tasks, channel
):
    factory, attempt_model, record_field, _ = CHANNELS[channel]
    stuck = factory(
        status="sending",
        claimed_at=ago(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS + 5),
        attempt_count=settings.DELIVERY_MAX_ATTEMPTS,
    )

    with django_capture_on_commit_callbacks(execute=True):
        run("sweep_outbox")

    stuck.refresh_from_db()
    assert stuck.status == "failed"
    assert "outcome is unknown" in stuck.error_message
    assert attempt_model.objects.get(**{record_field: stuck}).outcome == (
        AttemptOutcome.INTERRUPTED
    )
    assert enqueued_tasks() == []


def test_sweep_loop_sweeps_until_sigterm_and_survives_a_database_error(monkeypatch):
    rounds = []

    def sweep_sms():
        rounds.append("sms")
        if len(rounds) == 1:
            raise OperationalError("the database is restarting")
        if len(rounds) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # as `docker compose stop` does
        return {"requeued_lost": 2, "requeued_stuck": 0, "reconciled_stuck": 0}

    monkeypatch.setattr(sms_outbox, "sweep", sweep_sms)
    monkeypatch.setattr(
        email_outbox,
        "sweep",
        lambda: {"requeued_lost": 0, "requeued_stuck": 1, "reconciled_stuck": 0},
    )
    # The test's transaction is the connection; the command must not close it.
    monkeypatch.setattr(sweep_outbox, "close_old_connections", lambda: None)
    handler = signal.getsignal(signal.SIGTERM)

    output = run("sweep_outbox", "--loop", "0.01")

    assert len(rounds) == 3  # the failed round, one more, and the one that was stopped
    assert output.count("SMS: 2 lost queued enqueued again") == 2
    assert (
        "Email: 0 lost queued enqueued again, 1 stuck sending queued again, 0 stuck "
        "sending found sent by the provider." in output
    )
    assert output.endswith("Stopped.\n")
    assert signal.getsignal(signal.SIGTERM) is handler


@pytest.mark.parametrize("seconds", ["0", "-5", "soon"])
def test_sweep_loop_needs_a_positive_number_of_seconds(seconds):
    with pytest.raises(CommandError, match="--loop takes a number of seconds above 0"):
        run("sweep_outbox", "--loop", seconds)
