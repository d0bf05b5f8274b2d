from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from emails.models import Email, EmailStatus
from emails.services import email_send
from emails.tests.factories import EmailFactory, UserFactory

pytestmark = pytest.mark.django_db

EMAILS_URL = reverse("admin:emails_email_changelist")


def rows(response):
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def change_url(email):
    return reverse("admin:emails_email_change", args=[email.pk])


def test_email_list_shows_the_columns(admin_client):
    email = email_send(to_email="ada@example.com", subject="Your receipt", body="Thanks!")

    response = admin_client.get(EMAILS_URL)

    assert rows(response) == [email]
    for text in ("ada@example.com", "team@hatch.test", "Your receipt", "Queued"):
        assert text in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ada@", "receipt"),  # to_email
        ("support@hatch", "receipt"),  # from_email
        ("RECEIPT", "receipt"),  # subject
        ("14c5d75ce93.dfd.64b469", "receipt"),  # provider_message_id, whole
        ("14c5d75ce93", None),  # never a part of one
    ],
)
def test_email_list_searches_addresses_subject_and_message_id(admin_client, query, expected):
    receipt = EmailFactory(
        to_email="ada@example.com",
        from_email="support@hatch.test",
        subject="Your receipt",
        provider_message_id="14c5d75ce93.dfd.64b469",
    )
    EmailFactory(to_email="bob@example.org", subject="Welcome")

    found = rows(admin_client.get(EMAILS_URL, {"q": query}))

    assert found == ([receipt] if expected else [])


def test_email_list_filters_by_status(admin_client):
    bounced = EmailFactory(status=EmailStatus.BOUNCED)
    EmailFactory(status=EmailStatus.DELIVERED)

    assert rows(admin_client.get(EMAILS_URL, {"status__exact": "bounced"})) == [bounced]


def test_email_list_filters_and_drills_down_by_date(admin_client):
    recent = EmailFactory()
    old = EmailFactory(created_at=timezone.now() - timedelta(days=400))
    changelist = admin_client.get(EMAILS_URL).context["cl"]
    spec = next(spec for spec in changelist.filter_specs if spec.field_path == "created_at")
    past_week_link = next(
        choice["query_string"]
        for choice in spec.choices(changelist)
        if choice["display"] == "Past 7 days"
    )
    old_at = timezone.localtime(old.created_at)

    past_week = rows(admin_client.get(EMAILS_URL + past_week_link))
    old_month = rows(
        admin_client.get(
            EMAILS_URL, {"created_at__year": old_at.year, "created_at__month": old_at.month}
        )
    )

    assert past_week == [recent]
    assert old_month == [old]


def test_email_change_page_renders_read_only(admin_client):
    email = EmailFactory(
        subject="Bounced one",
        status=EmailStatus.BOUNCED,
        cc=["cc@example.com"],
        provider_message_id="abc123",
        error_message="550 5.1.1 The email account does not exist.",
        sent_by=UserFactory(),
    )

    response = admin_client.get(change_url(email))

    assert response.status_code == 200
    for text in ("Bounced one", "cc@example.com", "abc123", "550 5.1.1"):
        assert text in response.text
    assert 'name="_save"' not in response.text
    assert 'name="subject"' not in response.text


def test_emails_cannot_be_added_changed_or_deleted_in_the_admin(admin_client):
    email = EmailFactory(subject="Original")

    add = admin_client.get(reverse("admin:emails_email_add"))
    change = admin_client.post(change_url(email), {"subject": "Rewritten"})
    delete = admin_client.post(
        reverse("admin:emails_email_delete", args=[email.pk]), {"post": "yes"}
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert "delete_selected" not in admin_client.get(EMAILS_URL).text
    email.refresh_from_db()
    assert email.subject == "Original"
    assert Email.objects.count() == 1


def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client):
    client.force_login(UserFactory())

    response = client.get(EMAILS_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def test_list_query_count_does_not_grow_with_the_rows(admin_client, django_assert_max_num_queries):
    EmailFactory.create_batch(5, sent_by=UserFactory())
    with_five = queries_for(admin_client, EMAILS_URL)
    EmailFactory.create_batch(25, sent_by=UserFactory())
    with_thirty = queries_for(admin_client, EMAILS_URL)

    assert with_thirty == with_five
    # Session, user, the count, the page, the date hierarchy's range and dates, and the
    # users the "sent by" filter offers.
    with django_assert_max_num_queries(7):
        assert len(rows(admin_client.get(EMAILS_URL))) == 30
