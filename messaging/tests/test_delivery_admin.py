"""The admin's view of delivery: attempts and events inline, retrying, filters.

The consent record's admin (opt-outs, suppressions) is tested in consent/tests/test_admin.py.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.models import Suppression
from emails.models import EmailAttempt, EmailEvent, EmailStatus
from emails.tests.factories import EmailFactory
from messaging.models import Message, MessageAttempt, MessageEvent, MessageStatus
from messaging.tests.factories import MessageFactory, UserFactory
from outbox.models import AttemptOutcome

pytestmark = pytest.mark.django_db

MESSAGES_URL = reverse("admin:messaging_message_changelist")
EMAILS_URL = reverse("admin:emails_email_changelist")


def change_url(record):
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def rows(response):
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def add_sms_history(message: Message, count: int) -> None:
    start = timezone.now() - timedelta(hours=1)
    for number in range(count):
        MessageAttempt.objects.create(
            message=message,
            started_at=start + timedelta(minutes=number),
            duration_ms=250 + number,
            outcome=AttemptOutcome.RETRY,
            error_code="503",
            error_message=f"Twilio answered 503 (try {number})",
        )
        MessageEvent.objects.create(
            message=message,
            provider_message_id=f"SM{number:032d}",
            provider_status="failed",
            error_code=30008,
            payload={"MessageStatus": "failed", "ErrorCode": "30008", "Try": str(number)},
        )


def add_email_history(email, count: int) -> None:
    start = timezone.now() - timedelta(hours=1)
    for number in range(count):
        EmailAttempt.objects.create(
            email=email,
            started_at=start + timedelta(minutes=number),
            duration_ms=300 + number,
            outcome=AttemptOutcome.RETRY,
            error_code="429",
            error_message=f"Too many requests (try {number})",
        )
        EmailEvent.objects.create(
            email=email,
            event="deferred",
            provider_message_id=f"msg{number}.filter",
            recipient=email.to_email,
            occurred_at=start + timedelta(minutes=number),
            payload={"event": "deferred", "response": f"421 try later ({number})"},
        )


# Attempts and events on the change page


def test_message_change_page_shows_attempts_and_status_callbacks_read_only(admin_client):
    message = MessageFactory(status=MessageStatus.FAILED, error_code=30008, attempt_count=2)
    add_sms_history(message, 2)

    page = admin_client.get(change_url(message)).text

    for text in (
        "Delivery attempts",
        "Failed, will retry",
        "Twilio answered 503 (try 0)",
        "Twilio answered 503 (try 1)",
        "251",  # duration_ms
        "Status callbacks",
        "30008",
        "&quot;Try&quot;: &quot;1&quot;",  # the payload, escaped
    ):
        assert text in page
    # Shown, not editable: no form field but the formset's hidden keys.
    for name in ("attempts-0-outcome", "attempts-0-error_message", "events-0-payload"):
        assert f'name="{name}"' not in page
    for prefix in ("attempts", "events"):  # no form to add a row
        assert f'name="{prefix}-MAX_NUM_FORMS" value="0"' in page
    assert 'name="_save"' not in page


def test_email_change_page_shows_attempts_and_events_read_only(admin_client):
    email = EmailFactory(status=EmailStatus.QUEUED, to_email="ada@example.com")
    add_email_history(email, 2)

    page = admin_client.get(change_url(email)).text

    for text in (
        "Delivery attempts",
        "Too many requests (try 1)",
        "SendGrid events",
        "deferred",
        "ada@example.com",
        "421 try later (1)",
    ):
        assert text in page
    for name in ("attempts-0-outcome", "events-0-event", "events-0-payload"):
        assert f'name="{name}"' not in page
    for prefix in ("attempts", "events"):  # no form to add a row
        assert f'name="{prefix}-MAX_NUM_FORMS" value="0"' in page


@pytest.mark.parametrize(
    ("factory", "add_history"),
    [(MessageFactory, add_sms_history), (EmailFactory, add_email_history)],
)
def test_change_page_query_count_does_not_grow_with_attempts_and_events(
    admin_client, factory, add_history
):
    few, many = factory(), factory()
    add_history(few, 1)
    add_history(many, 12)

    assert queries_for(admin_client, change_url(many)) == queries_for(admin_client, change_url(few))


# The retry action


def retry(client, url, records, action="retry_failed"):
    return client.post(
        url,
        {"action": action, "_selected_action": [str(record.pk) for record in records]},
        follow=True,
    )


def notices(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_retry_action_requeues_the_failed_messages_among_those_selected(
    admin_client, enqueued_tasks, django_capture_on_commit_callbacks
):
    failed = MessageFactory(status=MessageStatus.FAILED, error_code=30003, attempt_count=8)
    add_sms_history(failed, 2)
    stopped = MessageFactory(
        status=MessageStatus.FAILED, error_code=21610, conversation__reply_to="+14155552671"
    )
    Suppression.objects.create(address="+14155552671", channel="sms", reason="stop")
    delivered = MessageFactory(status=MessageStatus.DELIVERED)

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(admin_client, MESSAGES_URL, [failed, stopped, delivered])

    assert notices(response) == [
        "Re-queued 1 failed message.",
        "Not retried: 1 to recipients who opted out (replied STOP).",
        "Left alone: 1 that had not failed (only failed messages are retried).",
    ]
    failed.refresh_from_db()
    assert failed.status == MessageStatus.QUEUED
    assert failed.attempt_count == 0
    assert failed.attempts.count() == 2
    assert enqueued_tasks() == [("messaging.tasks.send_message", [str(failed.pk)])]
    for record, status in ((stopped, MessageStatus.FAILED), (delivered, MessageStatus.DELIVERED)):
        record.refresh_from_db()
        assert record.status == status


def test_retry_action_requeues_the_failed_emails_among_those_selected(
    admin_client, enqueued_tasks, django_capture_on_commit_callbacks
):
    failed = EmailFactory(status=EmailStatus.FAILED, error_code="401", attempt_count=1)
    add_email_history(failed, 1)
    bounced = EmailFactory(status=EmailStatus.BOUNCED)

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(admin_client, EMAILS_URL, [failed, bounced])

    assert notices(response) == [
        "Re-queued 1 failed email.",
        "Left alone: 1 that had not failed (only failed emails are retried).",
    ]
    failed.refresh_from_db()
    bounced.refresh_from_db()
    assert (failed.status, failed.error_code, failed.attempts.count()) == ("queued", "", 1)
    assert bounced.status == EmailStatus.BOUNCED
    assert enqueued_tasks() == [("emails.tasks.send_email", [str(failed.pk)])]


@pytest.mark.parametrize(
    ("factory", "url", "model_name"),
    [(MessageFactory, MESSAGES_URL, "message"), (EmailFactory, EMAILS_URL, "email")],
)
def test_staff_who_may_only_view_cannot_retry(
    client, enqueued_tasks, django_capture_on_commit_callbacks, factory, url, model_name
):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename=f"view_{model_name}"))
    client.force_login(viewer)
    failed = factory(status="failed")

    changelist = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        retry(client, url, [failed])

    assert changelist.status_code == 200
    assert "retry_failed" not in changelist.text
    failed.refresh_from_db()
    assert failed.status == "failed"
    assert enqueued_tasks() == []


# Filters


@pytest.fixture
def sms_errors():
    return {
        "unreachable": MessageFactory(status=MessageStatus.FAILED, error_code=30003),
        "invalid": MessageFactory(status=MessageStatus.FAILED, error_code=21211),
        "rare": MessageFactory(status=MessageStatus.UNDELIVERED, error_code=30034),
        "fine": MessageFactory(status=MessageStatus.SENT),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30003", {"unreachable"}),
        ("30034", {"rare"}),  # not among the offered codes, still found
        ("_any", {"unreachable", "invalid", "rare"}),
        ("_none", {"fine"}),
    ],
)
def test_message_list_filters_by_error_code(admin_client, sms_errors, value, expected):
    found = rows(admin_client.get(MESSAGES_URL, {"error_code": value}))

    assert set(found) == {sms_errors[name] for name in expected}


def test_the_error_code_filter_offers_common_codes_and_the_one_chosen(admin_client, sms_errors):
    page = admin_client.get(MESSAGES_URL, {"error_code": "30034"}).text

    assert "21610 (recipient opted out)" in page
    assert "?error_code=30034" in page


def test_an_error_code_that_is_not_a_number_is_refused_politely(admin_client, sms_errors):
    response = admin_client.get(MESSAGES_URL, {"error_code": "abc"})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("401", {"unauthorised"}), ("_any", {"unauthorised", "refused"}), ("_none", {"fine"})],
)
def test_email_list_filters_by_error_code(admin_client, value, expected):
    emails = {
        "unauthorised": EmailFactory(status=EmailStatus.FAILED, error_code="401"),
        "refused": EmailFactory(status=EmailStatus.FAILED, error_code="400"),
        "fine": EmailFactory(status=EmailStatus.SENT),
    }

    found = rows(admin_client.get(EMAILS_URL, {"error_code": value}))

    assert set(found) == {emails[name] for name in expected}


@pytest.mark.parametrize("url", [MESSAGES_URL, EMAILS_URL])
def test_filter_facets_count_each_error_code(admin_client, sms_errors, url):
    EmailFactory(status=EmailStatus.FAILED, error_code="401")

    response = admin_client.get(url, {"_facets": "1"})

    assert response.status_code == 200
    assert ("30003 (unreachable handset) (1)" if url == MESSAGES_URL else "401 (") in (
        response.text
    )
