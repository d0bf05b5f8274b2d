"""Nobody is messaged against their consent, even by a send accepted before they withdrew
it: the outbox reads the record again right before the provider call, and retries (the
command, the admin, the API) leave sends to suppressed addresses failed.

The real sendgrid and twilio SDKs talk to the local fake of both (testing.fake_providers).
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from consent.services import address_suppress
from consent.tests.factories import DECEMBER_FIRST
from emails import services as email_services
from emails.delivery import email_outbox
from emails.models import Email, EmailStatus
from emails.tests.sendgrid_payloads import event, post_signed, x_message_id
from messaging import services as sms_services
from messaging.delivery import sms_outbox
from messaging.models import Message, MessageStatus
from outbox.models import AttemptOutcome

# A delivery refuses to run inside a transaction, so these tests cannot run inside the
# per-test transaction pytest-django normally wraps them in.
pytestmark = pytest.mark.django_db(transaction=True)

SPAM_SENTENCE = "ada@example.com reported your email as spam on 2025-12-01."


def queue_email(**overrides) -> Email:
    fields = {"to_email": "ada@example.com", "subject": "Your order", "body": "It ships today."}
    return email_services.email_send(**{**fields, **overrides})


def report_spam(client, key, address: str) -> None:
    """SendGrid reports a spam complaint about an earlier email, through the webhook."""
    spam = event("spamreport", email=address, message_id=x_message_id(), timestamp=1764603000)
    assert post_signed(client, key, [spam]).status_code == 200


def fail(email: Email, code: str = "503") -> None:
    Email.objects.filter(id=email.id).update(status=EmailStatus.FAILED, error_code=code)


class TestEmailDelivery:
    def test_an_email_queued_before_a_spam_report_is_not_sent(
        self, client, key, fake_providers, enqueued_tasks
    ):
        email = queue_email()
        report_spam(client, key, "ada@example.com")
        enqueued = enqueued_tasks()

        assert email_outbox.deliver(str(email.id)) == "failed"

        assert fake_providers.requests == []
        email.refresh_from_db()
        assert email.status == EmailStatus.FAILED
        assert (email.error_code, email.error_message) == ("suppressed", SPAM_SENTENCE)
        assert [a.outcome for a in email.attempts.all()] == [AttemptOutcome.FAILED]
        assert enqueued_tasks() == enqueued  # no retry scheduled

    def test_an_email_whose_bcc_unsubscribed_since_is_not_sent(self, fake_providers):
        email = queue_email(cc=["bob@example.com"], bcc=["audit@example.com"])
        address_suppress(
            address="audit@example.com", channel="email", reason="unsubscribe", at=DECEMBER_FIRST
        )

        assert email_outbox.deliver(str(email.id)) == "failed"

        assert fake_providers.sendgrid_mails() == []
        email.refresh_from_db()
        assert email.error_message == "audit@example.com unsubscribed on 2026-12-01."

    def test_an_email_to_addresses_still_allowed_is_sent(self, fake_providers):
        address_suppress(address="someone-else@example.com", channel="email", reason="bounce")
        email = queue_email(cc=["bob@example.com"])

        assert email_outbox.deliver(str(email.id)) == "sent"

        assert len(fake_providers.sendgrid_mails()) == 1


class TestEmailRetry:
    def test_retry_failed_leaves_an_email_to_a_suppressed_address_failed(
        self, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        suppressed, other = queue_email(), queue_email(to_email="bob@example.com")
        fail(suppressed)
        fail(other)
        address_suppress(address="ada@example.com", channel="email", reason="spamreport")
        before = enqueued_tasks()

        with django_capture_on_commit_callbacks(execute=True):
            result = email_outbox.retry_failed(ids=[suppressed.id, other.id])

        assert (result.requeued, result.refused) == ([other.id], [suppressed.id])
        suppressed.refresh_from_db()
        assert (suppressed.status, suppressed.error_code) == (EmailStatus.FAILED, "503")
        assert enqueued_tasks() == [*before, ("emails.tasks.send_email", [str(other.id)])]

    def test_a_suppressed_cc_keeps_the_email_failed_too(self):
        email = queue_email(cc=["Pat@Example.com"])
        fail(email)
        address_suppress(address="pat@example.com", channel="email", reason="bounce")

        assert email_outbox.retry_failed(ids=[email.id]).refused == [email.id]

    def test_the_retry_failed_command_says_why_it_left_one_failed(
        self, django_capture_on_commit_callbacks
    ):
        email = queue_email()
        fail(email)
        address_suppress(address="ada@example.com", channel="email", reason="unsubscribe")
        out = StringIO()

        with django_capture_on_commit_callbacks(execute=True):
            call_command("retry_failed", "--channel", "email", stdout=out)

        assert (
            "Email: 0 re-queued; 1 not retried: an address it goes to is suppressed "
            "(bounced, spam report, unsubscribed)."
        ) in out.getvalue()
        email.refresh_from_db()
        assert email.status == EmailStatus.FAILED

    def test_the_admin_retry_action_leaves_it_failed_and_says_so(
        self, admin_client, django_capture_on_commit_callbacks
    ):
        suppressed, other = queue_email(), queue_email(to_email="bob@example.com")
        fail(suppressed)
        fail(other)
        address_suppress(address="ada@example.com", channel="email", reason="bounce")

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:emails_email_changelist"),
                {
                    "action": "retry_failed",
                    "_selected_action": [str(suppressed.pk), str(other.pk)],
                },
                follow=True,
            )

        assert [str(notice) for notice in response.context["messages"]] == [
            "Re-queued 1 failed email.",
            "Not retried: 1 to an address that bounced, reported spam or unsubscribed "
            "(see Consent > Suppressions).",
        ]
        suppressed.refresh_from_db()
        assert suppressed.status == EmailStatus.FAILED


class TestSmsDelivery:
    def test_an_sms_queued_before_a_stop_fails_with_the_reason_and_is_not_sent(
        self, fake_providers
    ):
        message = sms_services.message_send(to="+14155552671", body="Your table is ready")
        address_suppress(address="+14155552671", channel="sms", reason="stop", at=DECEMBER_FIRST)

        assert sms_outbox.deliver(str(message.id)) == "failed"

        assert fake_providers.requests == []
        message.refresh_from_db()
        assert message.status == MessageStatus.FAILED
        assert message.error_message == (
            "+14155552671 replied STOP on 2026-12-01: they can opt back in by texting START."
        )

    def test_retrying_it_through_the_api_is_a_409_with_the_reason(self, api_client):
        message = sms_services.message_send(to="+14155552671", body="Your table is ready")
        Message.objects.filter(id=message.id).update(status=MessageStatus.FAILED)
        address_suppress(address="+14155552671", channel="sms", reason="stop", at=DECEMBER_FIRST)

        response = api_client.post(f"/api/messages/{message.id}/retry")

        assert response.status_code == 409
        assert response.json()["error"] == (
            "+14155552671 replied STOP on 2026-12-01: they can opt back in by texting START. "
            "The message was not retried."
        )
