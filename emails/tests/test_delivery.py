"""The email delivery pipeline, with the real sendgrid SDK talking to a local fake of SendGrid."""

import pytest
from django.db import transaction
from django.utils import timezone

from emails import services
from emails.delivery import email_outbox
from emails.models import Email, EmailStatus
from outbox.models import AttemptOutcome
from testing.fake_providers import Reply

# A delivery refuses to run inside a transaction, so these tests cannot run inside the
# per-test transaction pytest-django normally wraps them in.
pytestmark = pytest.mark.django_db(transaction=True)


def queue_email(**overrides) -> Email:
    fields = {"to_email": "ada@example.com", "subject": "Your order", "body": "It ships today."}
    return services.email_send(**{**fields, **overrides})


def test_a_new_email_is_enqueued_after_commit(enqueued_tasks):
    email = queue_email()

    assert enqueued_tasks() == [("emails.tasks.send_email", [str(email.id)])]


def test_an_email_rolled_back_with_its_transaction_is_never_enqueued(enqueued_tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email()
        raise RuntimeError("the caller's transaction fails after the send")

    assert enqueued_tasks() == []
    assert not Email.objects.exists()


def test_the_email_reaches_sendgrid_with_the_exact_wire_request(fake_providers):
    email = queue_email(
        html_content="<p>It ships <b>today</b>.</p>",
        cc=["bob@example.com"],
        bcc=["audit@example.com"],
        reply_to="help@hatch.test",
        from_email="support@hatch.test",
    )

    assert email_outbox.deliver(str(email.id)) == "sent"

    [request] = fake_providers.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.header("Authorization") == f"Bearer {fake_providers.api_key}"
    body = request.json
    assert body["from"] == {"email": "support@hatch.test"}
    assert body["subject"] == "Your order"
    assert body["reply_to"] == {"email": "help@hatch.test"}
    [personalization] = body["personalizations"]
    assert personalization["to"] == [{"email": "ada@example.com"}]
    assert personalization["cc"] == [{"email": "bob@example.com"}]
    assert personalization["bcc"] == [{"email": "audit@example.com"}]
    assert body["content"] == [
        {"type": "text/plain", "value": "It ships today."},
        {"type": "text/html", "value": "<p>It ships <b>today</b>.</p>"},
    ]
    assert body["custom_args"] == {"hatch_email_id": str(email.id)}

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.provider_message_id == request.message_id
    assert email.provider_response == {"status_code": 202, "message_id": request.message_id}
    assert [a.outcome for a in email.attempts.all()] == [AttemptOutcome.SENT]


@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_refused_request_fails_at_once_with_sendgrids_reason(fake_providers, status):
    fake_providers.script("sendgrid", Reply.sendgrid_error(status, "The from address is invalid"))
    email = queue_email()

    assert email_outbox.deliver(str(email.id)) == "failed"

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert (email.error_code, email.error_message) == (str(status), "The from address is invalid")


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_throttling_and_server_errors_are_retried_then_succeed(fake_providers, status):
    fake_providers.script("sendgrid", Reply.sendgrid_error(status, "try later"))
    email = queue_email()

    assert email_outbox.deliver(str(email.id)) == "queued"
    Email.objects.filter(id=email.id).update(next_attempt_at=timezone.now())
    assert email_outbox.deliver(str(email.id)) == "sent"

    email.refresh_from_db()
    assert [a.outcome for a in email.attempts.all()] == [AttemptOutcome.RETRY, AttemptOutcome.SENT]
    assert len(fake_providers.sendgrid_mails()) == 1


def test_a_timeout_is_retried(fake_providers, settings):
    settings.PROVIDER_TIMEOUT_SECONDS = 0.3
    fake_providers.script("sendgrid", Reply.hang(1.5))
    email = queue_email()

    assert email_outbox.deliver(str(email.id)) == "queued"

    email.refresh_from_db()
    assert email.error_message == "SendGrid could not be reached: TimeoutError"


def test_a_dropped_connection_is_retried(fake_providers):
    fake_providers.script("sendgrid", Reply.disconnect())
    email = queue_email()

    assert email_outbox.deliver(str(email.id)) == "queued"


def test_a_drain_sends_every_queued_email_side_by_side_and_stores_each_answer(
    fake_providers, settings
):
    settings.DELIVERY_CONCURRENCY = 4
    fake_providers.set_mode("sendgrid", Reply.hang(0.3))
    emails = [queue_email(subject=f"Order {n}") for n in range(4)]

    assert email_outbox.drain() == {"sent": 4}

    requests = fake_providers.sendgrid_mails()
    # All four were waiting for SendGrid at once.
    assert max(r.timestamp for r in requests) - min(r.timestamp for r in requests) < 0.3
    ids = {request.json["subject"]: request.message_id for request in requests}
    for email in emails:
        email.refresh_from_db()
        assert email.status == EmailStatus.SENT
        assert email.provider_message_id == ids[email.subject]
        assert email.provider_response == {"status_code": 202, "message_id": ids[email.subject]}
