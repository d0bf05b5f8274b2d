"""A closed or snoozed conversation opens again by itself: when the person writes back (an
SMS through Twilio's webhook, an email through Inbound Parse), and when a snooze ends (the
worker's task, which the sweeper enqueues again should it be lost)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from conversations.models import Activity, Conversation
from conversations.services import snoozes_end
from conversations.tasks import end_snoozes
from conversations.tests.conftest import token_client
from conversations.tests.inbound import (
    CUSTOMER_PHONE,
    INBOUND_PASSWORD,
    INBOUND_USERNAME,
    email_arrives,
    sms_arrives,
)
from team.models import Label

# What each sweep enqueues is checked exactly: the reports' refresh is not due.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reports_counted")]


@pytest.fixture
def inbound_credentials(settings):
    settings.SENDGRID_INBOUND_USERNAME = INBOUND_USERNAME
    settings.SENDGRID_INBOUND_PASSWORD = INBOUND_PASSWORD


def change(client, conversation_id, kind="conversations", **fields):
    response = client.patch(f"/api/{kind}/{conversation_id}", fields, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def state_of(conversation_id) -> tuple[str, object]:
    return tuple(Conversation.objects.values_list("state", "snoozed_until").get(id=conversation_id))


def lines(client, conversation_id, kind="conversations") -> list[dict]:
    return client.get(f"/api/{kind}/{conversation_id}/activity").json()


def soon(**delta):
    return timezone.now() + timedelta(**delta)


class TestANewMessage:
    @pytest.mark.parametrize("left", [{"state": "closed"}, {"snoozed_until": "soon"}])
    def test_an_sms_reopens_a_closed_or_snoozed_conversation(
        self, client, agent_api, sms_conversation, left
    ):
        if left.get("snoozed_until"):
            left = {"snoozed_until": soon(days=1).isoformat()}
        change(agent_api, sms_conversation, **left)

        sms_arrives(client, "Are you still open?", sender=CUSTOMER_PHONE)

        assert state_of(sms_conversation) == ("open", None)
        reopened = lines(agent_api, sms_conversation)[-1]
        assert reopened["kind"] == "reopened"
        assert reopened["actor"] is None
        assert reopened["detail"] == {"reason": "message"}
        assert reopened["text"] == "Reopened by a new message"

    def test_an_sms_to_an_open_conversation_records_nothing(
        self, client, agent_api, sms_conversation
    ):
        sms_arrives(client, "Thanks!", sender=CUSTOMER_PHONE)
        sms_arrives(client, "See you", sender=CUSTOMER_PHONE)

        assert state_of(sms_conversation) == ("open", None)
        assert lines(agent_api, sms_conversation) == []

    def test_the_message_goes_live_with_its_conversation_open_again(
        self, client, agent_api, ada, sms_conversation, inbox, django_capture_on_commit_callbacks
    ):
        Label.objects.create(name="Billing", colour="#2563eb")
        change(agent_api, sms_conversation, state="closed", assignee=ada.pk, labels=["Billing"])

        with django_capture_on_commit_callbacks(execute=True):
            sms_arrives(client, "Are you still open?", sender=CUSTOMER_PHONE)

        events = inbox.events()
        assert [event["type"] for event in events] == ["activity.created", "message.created"]
        assert events[0]["activity"]["text"] == "Reopened by a new message"
        conversation = events[1]["conversation"]
        assert conversation["conversation_id"] == sms_conversation
        # As the list shows it, read with the message in one statement.
        assert conversation["state"] == "open"
        assert conversation["assignee"] == {"id": ada.pk, "name": "Ada Lovelace"}
        assert [label["name"] for label in conversation["labels"]] == ["Billing"]
        assert conversation["labels"][0]["colour"] == "#2563eb"
        assert (conversation["inbound_count"], conversation["message_count"]) == (1, 2)

    @pytest.mark.usefixtures("inbound_credentials")
    def test_an_email_reopens_its_closed_thread(self, client, agent_api, email_thread):
        change(agent_api, email_thread, kind="email_threads", state="closed")
        (ours,) = agent_api.get(f"/api/email_threads/{email_thread}").json()["emails"]

        email_arrives(client, in_reply_to=ours["message_id"], sender="pat@example.com")

        assert state_of(email_thread) == ("open", None)
        item = agent_api.get(f"/api/email_threads/{email_thread}").json()
        assert (item["state"], item["message_count"]) == ("open", 2)
        texts = [line["text"] for line in lines(agent_api, email_thread, "email_threads")]
        assert texts == ["Ben Okafor closed this", "Reopened by a new message"]


class TestASnoozeEnding:
    def test_snoozes_whose_time_has_come_open_again_and_no_others(
        self, agent_api, conversation, email_thread
    ):
        change(agent_api, conversation, snoozed_until=soon(hours=1).isoformat())
        until = soon(days=2)
        change(agent_api, email_thread, kind="email_threads", snoozed_until=until.isoformat())

        assert snoozes_end(soon(hours=2)) == 1

        assert state_of(conversation) == ("open", None)
        assert state_of(email_thread)[0] == "snoozed"
        ended = lines(agent_api, conversation)[-1]
        assert (ended["kind"], ended["actor"]) == ("reopened", None)
        assert ended["detail"]["reason"] == "snooze ended"
        assert ended["text"] == "Reopened when the snooze ended"
        assert snoozes_end(soon(hours=2)) == 0  # nothing twice

    def test_the_worker_task_ends_them_and_each_goes_live(
        self, agent_api, conversation, email_thread, inbox, django_capture_on_commit_callbacks
    ):
        for conversation_id, kind in (
            (conversation, "conversations"),
            (email_thread, "email_threads"),
        ):
            change(agent_api, conversation_id, kind=kind, snoozed_until=soon(hours=1).isoformat())
        # An hour passes.
        Conversation.objects.update(snoozed_until=soon(seconds=-1))

        with django_capture_on_commit_callbacks(execute=True):
            assert end_snoozes.call() == 2

        events = inbox.events()
        updated = {event["type"]: event for event in events if event["type"] != "activity.created"}
        assert updated["conversation.updated"]["conversation"]["state"] == "open"
        assert "unread_count" not in updated["conversation.updated"]["conversation"]
        assert updated["email_thread.updated"]["thread"]["state"] == "open"
        assert "unread_count" not in updated["email_thread.updated"]["thread"]
        texts = [
            event["activity"]["text"] for event in events if event["type"] == "activity.created"
        ]
        assert texts == ["Reopened when the snooze ended"] * 2

    def test_the_sweeper_enqueues_the_end_of_a_snooze_found_past_its_time(
        self, agent_api, conversation, enqueued_tasks, capsys
    ):
        change(agent_api, conversation, snoozed_until=soon(hours=1).isoformat())
        call_command("sweep_outbox")
        assert "end_snoozes" not in str(enqueued_tasks())  # not due yet
        # An hour passes, and the task that was deferred to then was lost.
        Conversation.objects.update(snoozed_until=soon(seconds=-1))

        call_command("sweep_outbox")

        assert enqueued_tasks() == [("conversations.tasks.end_snoozes", [])]
        assert "Snoozes due: 1 lost enqueued again." in capsys.readouterr().out
        end_snoozes.call()
        assert state_of(conversation) == ("open", None)

    def test_a_snooze_changed_meanwhile_is_left_as_the_person_left_it(
        self, agent_api, conversation
    ):
        change(agent_api, conversation, snoozed_until=soon(hours=1).isoformat())
        later = soon(days=1)
        change(agent_api, conversation, snoozed_until=later.isoformat())

        # The first snooze's task runs at its time: the snooze it was for has moved.
        assert snoozes_end(soon(hours=1, minutes=1)) == 0
        assert state_of(conversation)[0] == "snoozed"

    def test_a_closed_conversation_is_not_reopened_by_an_old_snooze(self, agent_api, conversation):
        change(agent_api, conversation, snoozed_until=soon(hours=1).isoformat())
        change(agent_api, conversation, state="closed")

        assert snoozes_end(soon(days=1)) == 0
        assert state_of(conversation) == ("closed", None)
        assert Activity.objects.filter(detail__reason="snooze ended").count() == 0


def test_a_new_teammate_sees_the_reopening_in_the_activity_as_anyone_does(
    client, agent_api, sms_conversation, make_user
):
    change(agent_api, sms_conversation, state="closed")
    sms_arrives(client, "Hello again", sender=CUSTOMER_PHONE)

    newcomer = token_client(make_user("carol"))

    assert [line["text"] for line in lines(newcomer, sms_conversation)] == [
        "Ben Okafor closed this",
        "Reopened by a new message",
    ]
