"""Time to first reply: which replies the refresh finds (reports.models.FirstReply), first
through Hatch's real paths (webhooks, the send endpoints, closing a conversation), then the
edges of the definition on rows stored at known times."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.tests.inbound import CUSTOMER_PHONE, email_arrives, sms_arrives
from emails.models import Email, EmailDirection, EmailStatus
from messaging.models import Direction, Message, MessageStatus
from messaging.tests.factories import ConversationFactory
from reports.models import FirstReply
from reports.services import reports_refresh
from reports.tests.conftest import closed, email, sms

pytestmark = pytest.mark.django_db

INBOUND, OUTBOUND = Direction.INBOUND, Direction.OUTBOUND


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


# One "now" for the whole module: the rows' times are exactly as far apart as written.
NOW = timezone.now()


def ago(**delta):
    return NOW - timedelta(**delta)


def found() -> list[tuple]:
    """The first replies, oldest first: (reply id, agent id, waited from, seconds)."""
    return list(
        FirstReply.objects.order_by("replied_at").values_list(
            "reply_id", "agent_id", "waited_from", "seconds"
        )
    )


def test_replies_sent_through_hatch_after_messages_that_came_in(client, ada, grace, settings):
    settings.SENDGRID_INBOUND_USERNAME, settings.SENDGRID_INBOUND_PASSWORD = (
        "sendgrid-parse",
        "parse-secret",
    )
    sms_arrives(client, "Is my order ready?")
    asked = Message.objects.get()
    sent = api_as(ada).post("/api/send_message", {"to": CUSTOMER_PHONE, "body": "Yes!"})
    assert sent.status_code == 200, sent.content
    answer = Message.objects.filter(direction=OUTBOUND).latest("created_at")
    closing = api_as(ada).patch(
        f"/api/conversations/{asked.conversation_id}", {"state": "closed"}, format="json"
    )
    assert closing.status_code == 200, closing.content
    sms_arrives(client, "One more thing")  # opens it again: a new wait
    asked_again = Message.objects.filter(direction=INBOUND).latest("created_at")
    second = api_as(grace).post("/api/send_message", {"to": CUSTOMER_PHONE, "body": "Sure"})
    assert second.status_code == 200, second.content
    second_answer = Message.objects.filter(direction=OUTBOUND).latest("created_at")
    # An email: Hatch writes first, the person answers, a teammate replies.
    first_email = api_as(grace).post(
        "/api/send_email", {"to_email": "pat@example.com", "subject": "Your order", "body": "Hi"}
    )
    assert first_email.status_code == 200, first_email.content
    email_arrives(client, in_reply_to=Email.objects.get().message_id, sender="pat@example.com")
    question = Email.objects.get(direction=EmailDirection.INBOUND)
    reply = api_as(ada).post("/api/send_email", {"in_reply_to": str(question.id), "body": "Ok"})
    assert reply.status_code == 200, reply.content
    email_answer = Email.objects.filter(direction=EmailDirection.OUTBOUND).latest("created_at")

    reports_refresh()

    rows = found()
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (answer.id, ada.pk, asked.created_at),
        (second_answer.id, grace.pk, asked_again.created_at),
        (email_answer.id, ada.pk, question.created_at),
    ]
    assert rows[0][3] == (answer.created_at - asked.created_at).total_seconds()
    assert list(FirstReply.objects.order_by("replied_at").values_list("channel", flat=True)) == [
        "sms",
        "sms",
        "email",
    ]


def test_a_wait_closed_without_a_reply_ends_and_a_later_message_starts_another(ada):
    conversation = ConversationFactory()
    sms(conversation, ago(hours=5), INBOUND)
    closed(conversation, ago(hours=4), by=ada)
    # Reopened by a teammate, who writes: nobody was waiting since the close.
    sms(conversation, ago(hours=3), OUTBOUND, by=ada)
    asked = sms(conversation, ago(hours=2), INBOUND)
    answer = sms(conversation, ago(hours=1), OUTBOUND, by=ada)

    reports_refresh()

    assert found() == [(answer.id, ada.pk, asked.created_at, 3600.0)]


def test_a_reply_counts_from_the_first_message_of_the_wait_not_the_last(ada):
    conversation = ConversationFactory()
    first = sms(conversation, ago(minutes=50), INBOUND)
    sms(conversation, ago(minutes=40), INBOUND)
    sms(conversation, ago(minutes=30), OUTBOUND, MessageStatus.QUEUED)  # nobody sent it
    answer = sms(conversation, ago(minutes=20), OUTBOUND, by=ada)

    reports_refresh()

    assert found() == [(answer.id, ada.pk, first.created_at, 1800.0)]


def test_a_wait_that_began_before_the_recount_window_is_found(settings, ada):
    settings.REPORTS_RECOUNT_HOURS = 24
    reports_refresh()
    conversation = ConversationFactory()
    asked = sms(conversation, ago(days=5), INBOUND)
    answer = sms(conversation, ago(hours=1), OUTBOUND, by=ada)

    outcome = reports_refresh()

    assert outcome.since is not None and outcome.since > asked.created_at
    assert found() == [
        (
            answer.id,
            ada.pk,
            asked.created_at,
            (answer.created_at - asked.created_at).total_seconds(),
        )
    ]


def test_emails_outside_a_thread_and_internal_messages_have_no_reply_times(ada):
    email(None, ago(hours=2), EmailDirection.INBOUND)
    email(None, ago(hours=1), status=EmailStatus.SENT, by=ada)
    team = ConversationFactory(channel="internal", own_contact="Ada Lovelace", reply_to="Ben")
    sms(team, ago(hours=2), OUTBOUND, MessageStatus.DELIVERED)
    sms(team, ago(hours=1), OUTBOUND, MessageStatus.DELIVERED, by=ada)

    reports_refresh()

    assert found() == []
