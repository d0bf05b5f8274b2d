"""The SMS delivery pipeline, with the real twilio SDK talking to a local fake of Twilio."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from twilio.request_validator import RequestValidator

from consent.models import Suppression
from messaging import services
from messaging.delivery import sms_outbox
from messaging.models import Message, MessageAttempt, MessageStatus
from outbox.models import AttemptOutcome
from testing.fake_providers import Reply

pytestmark = pytest.mark.django_db

TO = "+14155552671"


def queue_sms(body="Your table is ready", to=TO) -> Message:
    return services.message_send(to=to, body=body)


def as_two_workers(work) -> list:
    """Run ``work`` in two threads at once, each with its own database connection, as two
    worker processes would; answer what each returned."""
    results = []

    def worker():
        try:
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def make_due(message: Message) -> None:
    """Skip the backoff wait: the retry is due now."""
    Message.objects.filter(id=message.id).update(next_attempt_at=timezone.now())


class TestEnqueueAfterCommit:
    def test_a_new_sms_is_enqueued_once_its_transaction_commits(
        self, api_client, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = api_client.post("/api/send_message", {"to": TO, "body": "hi"}, format="json")
            assert enqueued_tasks() == []  # nothing before the commit

        assert len(callbacks) == 2  # the enqueue and the inbox event
        assert enqueued_tasks() == [
            ("messaging.tasks.send_message", [response.json()["message_id"]])
        ]

    def test_nothing_is_enqueued_when_the_transaction_rolls_back(
        self, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            queue_sms()
            raise RuntimeError("rolled back")

        assert callbacks == []
        assert enqueued_tasks() == []
        assert not Message.objects.exists()

    def test_internal_messages_are_never_enqueued(
        self, user, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.message_send(to="Alice", body="hi", user=user)

        assert enqueued_tasks() == []


# A delivery refuses to run inside a transaction, so these tests cannot run inside the
# per-test transaction pytest-django normally wraps them in.
@pytest.mark.django_db(transaction=True)
class TestDelivery:
    def test_the_sms_reaches_twilio_with_the_exact_wire_request(self, fake_providers, settings):
        message = queue_sms()

        assert sms_outbox.deliver(str(message.id)) == "sent"

        [request] = fake_providers.requests
        assert request.method == "POST"
        assert request.path == f"/2010-04-01/Accounts/{fake_providers.account_sid}/Messages.json"
        assert request.basic_auth == (fake_providers.account_sid, fake_providers.auth_token)
        assert request.form["To"] == [TO]
        assert request.form["From"] == ["+15005550006"]
        assert request.form["Body"] == ["Your table is ready"]
        callback = urlparse(request.form["StatusCallback"][0])
        assert f"{callback.scheme}://{callback.netloc}" == settings.PUBLIC_BASE_URL
        assert callback.path == "/webhooks/twilio/status"
        assert parse_qs(callback.query) == {"message_id": [str(message.id)]}

        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert message.provider_message_id == request.response_json["sid"]
        assert message.provider_message_id.startswith("SM")
        assert message.sent_at is not None
        [attempt] = message.attempts.all()
        assert attempt.outcome == AttemptOutcome.SENT
        assert attempt.duration_ms is not None

    def test_the_segment_count_twilio_bills_is_stored(self, fake_providers):
        message = queue_sms(body="😀" * 40)  # UCS-2: 80 units, two segments

        sms_outbox.deliver(str(message.id))

        message.refresh_from_db()
        assert message.num_segments == int(fake_providers.requests[0].response_json["num_segments"])
        assert message.num_segments == 2

    def test_a_messaging_service_sends_instead_of_a_from_number(self, fake_providers, settings):
        settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
        message = queue_sms()

        sms_outbox.deliver(str(message.id))

        form = fake_providers.requests[0].form
        assert form["MessagingServiceSid"] == ["MG" + "1" * 32]
        assert "From" not in form

    def test_a_server_error_is_retried_later_and_then_succeeds(
        self, fake_providers, enqueued_tasks
    ):
        fake_providers.script("twilio", Reply.twilio_error(500, 20500, "Internal Server Error"))
        message = queue_sms()
        before = timezone.now()

        assert sms_outbox.deliver(str(message.id)) == "queued"

        message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED
        assert message.next_attempt_at > before
        # The retry is enqueued as a deferred task, due when the backoff ends.
        from django.tasks import default_task_backend

        retry = default_task_backend.results[-1]
        assert (retry.task.module_path, retry.args) == (
            "messaging.tasks.send_message",
            [str(message.id)],
        )
        assert retry.task.run_after == message.next_attempt_at
        assert message.error_message == "Internal Server Error"
        assert [a.outcome for a in message.attempts.all()] == [AttemptOutcome.RETRY]

        # Not due yet: a worker that picks it up early leaves it alone.
        assert sms_outbox.deliver(str(message.id)) == "skipped"
        make_due(message)
        assert sms_outbox.deliver(str(message.id)) == "sent"

        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert message.attempt_count == 2
        assert len(fake_providers.twilio_messages()) == 1  # reached Twilio exactly once

    def test_a_rate_limit_is_retried(self, fake_providers):
        fake_providers.script("twilio", Reply.twilio_error(429, 20429, "Too Many Requests"))
        message = queue_sms()

        assert sms_outbox.deliver(str(message.id)) == "queued"
        make_due(message)
        assert sms_outbox.deliver(str(message.id)) == "sent"

    def test_a_timeout_is_retried(self, fake_providers, settings):
        settings.PROVIDER_TIMEOUT_SECONDS = 0.3
        fake_providers.script("twilio", Reply.hang(1.5))
        message = queue_sms()

        assert sms_outbox.deliver(str(message.id)) == "queued"

        message.refresh_from_db()
        assert message.error_message == "Twilio could not be reached: ReadTimeout"
        [attempt] = message.attempts.all()
        assert attempt.outcome == AttemptOutcome.RETRY
        assert attempt.duration_ms >= 300

    def test_a_refused_connection_is_retried(self, settings):
        settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
        message = queue_sms()

        assert sms_outbox.deliver(str(message.id)) == "queued"
        message.refresh_from_db()
        assert message.error_message == "Twilio could not be reached: ConnectionError"

    @pytest.mark.parametrize(
        ("code", "text"),
        [
            (21211, "The 'To' number +14155552671 is not a valid phone number."),
            (21606, "The 'From' phone number provided is not a valid message-capable number."),
        ],
    )
    def test_a_permanent_error_fails_at_once_and_keeps_twilios_code(
        self, fake_providers, enqueued_tasks, code, text
    ):
        fake_providers.script("twilio", Reply.twilio_error(400, code, text))
        message = queue_sms()
        initial_enqueue = enqueued_tasks()

        assert sms_outbox.deliver(str(message.id)) == "failed"

        message.refresh_from_db()
        assert message.status == MessageStatus.FAILED
        assert (message.error_code, message.error_message) == (code, text)
        assert [a.outcome for a in message.attempts.all()] == [AttemptOutcome.FAILED]
        assert enqueued_tasks() == initial_enqueue  # no retry scheduled

    def test_an_opted_out_recipient_error_records_the_opt_out(self, fake_providers, api_client):
        fake_providers.script(
            "twilio", Reply.twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        )
        message = queue_sms()

        sms_outbox.deliver(str(message.id))

        assert Suppression.objects.filter(address=TO).exists()
        refused = api_client.post("/api/send_message", {"to": TO, "body": "hi"}, format="json")
        assert refused.status_code == 409
        assert "opted out" in refused.json()["error"]

    def test_a_message_queued_before_a_stop_is_not_sent(self, fake_providers):
        message = queue_sms()
        Suppression.objects.create(address=TO, channel="sms", reason="stop")

        assert sms_outbox.deliver(str(message.id)) == "failed"

        assert fake_providers.requests == []
        message.refresh_from_db()
        assert message.error_code == 21610

    def test_transient_errors_give_up_after_the_attempt_limit(self, fake_providers, settings):
        settings.DELIVERY_MAX_ATTEMPTS = 3
        fake_providers.set_mode("twilio", Reply.twilio_error(503, 20503, "Service Unavailable"))
        message = queue_sms()

        outcomes = []
        for _ in range(3):
            outcomes.append(sms_outbox.deliver(str(message.id)))
            make_due(message)

        assert outcomes == ["queued", "queued", "failed"]
        message.refresh_from_db()
        assert message.status == MessageStatus.FAILED
        assert message.attempts.count() == 3

    def test_a_delivered_or_failed_message_is_never_sent_again(self, fake_providers):
        message = queue_sms()
        sms_outbox.deliver(str(message.id))

        assert sms_outbox.deliver(str(message.id)) == "skipped"
        assert len(fake_providers.requests) == 1

    def test_no_provider_call_happens_inside_a_transaction(self, fake_providers):
        message = queue_sms()

        with (
            pytest.raises(RuntimeError, match="never run inside a database transaction"),
            transaction.atomic(),
        ):
            sms_outbox.deliver(str(message.id))

        assert fake_providers.requests == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_message_send_it_once(fake_providers):
    message = queue_sms()
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        return sms_outbox.deliver(str(message.id))

    assert sorted(as_two_workers(worker)) == ["sent", "skipped"]
    assert len(fake_providers.twilio_messages()) == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_sends_and_the_callbacks_deliver(
    fake_providers, api_client, settings, client
):
    """End to end: API -> queue (django-tasks-db) -> db_worker -> Twilio -> status callback."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    response = api_client.post("/api/send_message", {"to": TO, "body": "hi"}, format="json")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    message = Message.objects.get(id=response.json()["message_id"])
    assert message.status == MessageStatus.SENT
    [request] = fake_providers.twilio_messages()
    callback_url = request.form["StatusCallback"][0]
    for status in ["sent", "delivered"]:
        params = {"MessageSid": message.provider_message_id, "MessageStatus": status}
        signature = RequestValidator(fake_providers.auth_token).compute_signature(
            callback_url, params
        )
        answer = client.post(
            callback_url.removeprefix(settings.PUBLIC_BASE_URL),
            params,
            headers={"X-Twilio-Signature": signature},
        )
        assert answer.status_code == 200

    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_died_mid_call_is_recovered_by_the_sweeper(fake_providers, settings):
    message = queue_sms()
    stale = timezone.now() - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS + 1)
    Message.objects.filter(id=message.id).update(
        status=MessageStatus.SENDING, claimed_at=stale, attempt_count=1
    )

    assert sms_outbox.sweep() == {
        "requeued_lost": 0,
        "requeued_stuck": 1,
        "reconciled_stuck": 0,
    }
    make_due(message)
    assert sms_outbox.deliver(str(message.id)) == "sent"
    assert [a.outcome for a in message.attempts.all()] == [
        AttemptOutcome.INTERRUPTED,
        AttemptOutcome.SENT,
    ]


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_enqueues_a_lost_message_once_per_grace_period(settings, enqueued_tasks):
    message = queue_sms()
    overdue = timezone.now() - timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS + 1)
    Message.objects.filter(id=message.id).update(next_attempt_at=overdue)

    before = len(enqueued_tasks())
    first = sms_outbox.sweep()
    second = sms_outbox.sweep()

    assert (first["requeued_lost"], second["requeued_lost"]) == (1, 0)
    assert len(enqueued_tasks()) == before + 1


@pytest.mark.django_db(transaction=True)
class TestConcurrentDelivery:
    """A worker's task drains every due SMS with many provider calls in flight at once
    (Twilio takes 100-300 ms to answer each), never more than DELIVERY_CONCURRENCY, and
    two workers draining together never send one message twice."""

    def in_flight_at_most(self, requests, answer_after: float) -> int:
        """The most requests that were waiting for an answer at one moment, each waiting
        from when the fake read it until ``answer_after`` later."""
        starts = sorted(request.timestamp for request in requests)
        return max(
            sum(1 for other in starts if start <= other < start + answer_after) for start in starts
        )

    def test_calls_run_side_by_side_up_to_the_configured_number(self, fake_providers, settings):
        settings.DELIVERY_CONCURRENCY = 3
        fake_providers.set_mode("twilio", Reply.hang(0.5))
        messages = [queue_sms(body=f"Table {n} is ready") for n in range(7)]

        assert sms_outbox.drain() == {"sent": 7}

        requests = fake_providers.twilio_messages()
        assert sorted(request.form["Body"][0] for request in requests) == sorted(
            message.body for message in messages
        )
        # Three at once (one at a time would never overlap), and never a fourth.
        assert self.in_flight_at_most(requests, answer_after=0.5) == 3
        # Claimed as a thread came free, never ahead of one: no call waited its turn (an
        # attempt is timed from its claim), each took about the provider's half second.
        assert all(500 <= attempt.duration_ms < 950 for attempt in MessageAttempt.objects.all())
        # The answers that came back together were stored together, each on its own row.
        answered = {request.form["Body"][0]: request.response_json for request in requests}
        for message in Message.objects.all():
            answer = answered[message.body]
            assert message.status == MessageStatus.SENT
            assert message.provider_message_id == answer["sid"]
            assert message.num_segments == int(answer["num_segments"])
            assert message.sent_at is not None
            assert message.attempt_count == message.attempts.count() == 1

    def test_two_workers_draining_at_once_send_each_message_once(self, fake_providers, settings):
        settings.DELIVERY_CONCURRENCY = 4
        fake_providers.set_mode("twilio", Reply.hang(0.05))
        messages = [queue_sms(body=f"Message {n}") for n in range(40)]
        tallies = as_two_workers(sms_outbox.drain)

        bodies = [request.form["Body"][0] for request in fake_providers.twilio_messages()]
        assert sorted(bodies) == sorted(message.body for message in messages)
        assert sum(tally.get("sent", 0) for tally in tallies) == 40
        assert Message.objects.filter(status=MessageStatus.SENT).count() == 40

    def test_an_opted_out_recipient_in_a_batch_fails_alone(self, fake_providers):
        fake_providers.set_mode("twilio", Reply.hang(0.05))
        first, opted_out, last = (queue_sms(to=f"+1415555{n:04d}") for n in (2671, 2672, 2673))
        Suppression.objects.create(address=opted_out.to_contact, channel="sms", reason="stop")

        assert sms_outbox.drain() == {"sent": 2, "failed": 1}

        recipients = [request.form["To"][0] for request in fake_providers.twilio_messages()]
        assert sorted(recipients) == [first.to_contact, last.to_contact]
        opted_out.refresh_from_db()
        assert opted_out.status == MessageStatus.FAILED
        assert "replied STOP" in opted_out.error_message
