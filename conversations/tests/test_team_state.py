"""PATCH /api/conversations/<id> and /api/email_threads/<id>: state, snooze, assignee and
labels, each change recorded as an activity line (GET .../activity) and sent live."""

from datetime import UTC, datetime, timedelta

import pytest
from django.tasks import default_task_backend
from django.utils import timezone
from rest_framework.test import APIClient

from conversations.models import Activity, Conversation, ConversationState
from conversations.tests.conftest import token_client
from team.models import Label

pytestmark = pytest.mark.django_db

ITEM_TEAM_KEYS = {"state", "snoozed_until", "assignee", "labels", "inbound_count", "unread_count"}
ACTIVITY_KEYS = {"id", "conversation_id", "kind", "actor", "detail", "text", "created_at"}


def url(conversation_id, kind="conversations") -> str:
    return f"/api/{kind}/{conversation_id}"


def patch(client, conversation_id, change: dict, kind="conversations"):
    return client.patch(url(conversation_id, kind), change, format="json")


def activity(client, conversation_id, kind="conversations") -> list[dict]:
    response = client.get(f"{url(conversation_id, kind)}/activity")
    assert response.status_code == 200, response.content
    return response.json()


def later(**delta) -> datetime:
    return (timezone.now() + timedelta(**delta)).replace(microsecond=0)


@pytest.fixture
def labels(db):
    return {
        "billing": Label.objects.create(name="Billing", colour="#2563eb"),
        "vip": Label.objects.create(name="VIP", colour="#dc2626"),
    }


class TestAssigning:
    def test_assigning_answers_the_item_and_records_who_did_it(
        self, agent_api, ben, ada, conversation
    ):
        response = patch(agent_api, conversation, {"assignee": ada.pk})

        assert response.status_code == 200, response.content
        item = response.json()
        assert item["conversation_id"] == conversation
        assert set(item) >= ITEM_TEAM_KEYS
        assert item["assignee"] == {"id": ada.pk, "name": "Ada Lovelace"}
        (line,) = activity(agent_api, conversation)
        assert set(line) == ACTIVITY_KEYS
        assert line["kind"] == "assigned"
        assert line["actor"] == {"id": ben.pk, "name": "Ben Okafor"}
        assert line["detail"] == {"assignee": {"id": ada.pk, "name": "Ada Lovelace"}}
        assert line["text"] == "Ben Okafor assigned this to Ada Lovelace"
        assert line["conversation_id"] == conversation

    def test_taking_it_oneself_and_unassigning_read_as_people_say_them(
        self, agent_api, ben, conversation
    ):
        patch(agent_api, conversation, {"assignee": ben.pk})
        response = patch(agent_api, conversation, {"assignee": None})

        assert response.json()["assignee"] is None
        assert [line["text"] for line in activity(agent_api, conversation)] == [
            "Ben Okafor self-assigned this",
            "Ben Okafor removed their assignment",
        ]

    def test_the_activity_keeps_names_as_they_were(self, agent_api, ada, conversation, labels):
        patch(agent_api, conversation, {"assignee": ada.pk, "labels": ["Billing"]})
        ada.first_name = "Augusta"
        ada.save()
        labels["billing"].name = "Invoices"
        labels["billing"].save()

        texts = [line["text"] for line in activity(agent_api, conversation)]

        assert texts == [
            "Ben Okafor assigned this to Ada Lovelace",
            "Ben Okafor labelled this Billing",
        ]
        # The item shows them as they are now.
        item = agent_api.get(url(conversation)).json()
        assert item["assignee"]["name"] == "Augusta Lovelace"
        assert [label["name"] for label in item["labels"]] == ["Invoices"]

    def test_a_line_by_someone_since_deleted_still_reads(self, admin_api, make_user, conversation):
        gone = make_user("gone", first_name="Gone")

        patch(token_client(gone), conversation, {"state": "closed"})
        gone.delete()

        (line,) = activity(admin_api, conversation)
        assert (line["actor"], line["text"]) == (None, "Someone closed this")


class TestState:
    def test_closing_and_reopening(self, agent_api, conversation):
        closed = patch(agent_api, conversation, {"state": "closed"}).json()
        opened = patch(agent_api, conversation, {"state": "open"}).json()

        assert (closed["state"], opened["state"]) == ("closed", "open")
        assert [line["text"] for line in activity(agent_api, conversation)] == [
            "Ben Okafor closed this",
            "Ben Okafor reopened this",
        ]

    def test_a_change_to_what_already_is_records_nothing(self, agent_api, ada, conversation):
        patch(agent_api, conversation, {"state": "closed", "assignee": ada.pk})

        again = patch(agent_api, conversation, {"state": "closed", "assignee": ada.pk})
        nothing = patch(agent_api, conversation, {})

        assert again.status_code == nothing.status_code == 200
        assert nothing.json()["state"] == "closed"
        assert Activity.objects.count() == 2

    def test_snoozing_sets_the_time_and_enqueues_its_end_for_then(
        self, agent_api, conversation, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        until = later(days=2)

        with django_capture_on_commit_callbacks(execute=True):
            response = patch(agent_api, conversation, {"snoozed_until": until.isoformat()})

        item = response.json()
        assert item["state"] == "snoozed"
        assert datetime.fromisoformat(item["snoozed_until"]) == until
        (line,) = activity(agent_api, conversation)
        assert line["kind"] == "snoozed"
        assert line["detail"] == {"snoozed_until": until.astimezone(UTC).isoformat()}
        assert line["text"].startswith("Ben Okafor snoozed this until ")
        assert f"{until:%H:%M}" in line["text"]  # the server's TIME_ZONE is UTC in tests
        # The worker ends it then (the sweeper too, should that task be lost).
        assert enqueued_tasks() == [("conversations.tasks.end_snoozes", [])]
        (task,) = default_task_backend.results
        assert task.task.run_after == until

    def test_a_snooze_may_be_moved_and_ended_by_hand(self, agent_api, conversation):
        patch(agent_api, conversation, {"state": "snoozed", "snoozed_until": later(hours=1)})

        moved = patch(agent_api, conversation, {"snoozed_until": later(days=3).isoformat()})
        opened = patch(agent_api, conversation, {"state": "open"})

        assert moved.json()["state"] == "snoozed"
        assert (opened.json()["state"], opened.json()["snoozed_until"]) == ("open", None)
        kinds = [line["kind"] for line in activity(agent_api, conversation)]
        assert kinds == ["snoozed", "snoozed", "reopened"]

    def test_closing_a_snoozed_conversation_clears_its_time(self, agent_api, conversation):
        patch(agent_api, conversation, {"snoozed_until": later(hours=1).isoformat()})

        item = patch(agent_api, conversation, {"state": "closed"}).json()

        assert (item["state"], item["snoozed_until"]) == ("closed", None)
        stored = Conversation.objects.get(id=conversation)
        assert (stored.state, stored.snoozed_until) == (ConversationState.CLOSED, None)


class TestLabels:
    def test_labels_are_replaced_by_name_in_any_case_and_listed_by_name(
        self, agent_api, conversation, labels
    ):
        response = patch(agent_api, conversation, {"labels": ["vip", "BILLING", "Vip"]})

        assert response.json()["labels"] == [
            {"id": labels["billing"].pk, "name": "Billing", "colour": "#2563eb"},
            {"id": labels["vip"].pk, "name": "VIP", "colour": "#dc2626"},
        ]
        patch(agent_api, conversation, {"labels": ["VIP"]})
        cleared = patch(agent_api, conversation, {"labels": []}).json()

        assert cleared["labels"] == []
        assert [line["text"] for line in activity(agent_api, conversation)] == [
            "Ben Okafor labelled this VIP",
            "Ben Okafor labelled this Billing",
            "Ben Okafor removed the label Billing",
            "Ben Okafor removed the label VIP",
        ]


class TestListsKeepNamesCurrent:
    """The lists read the assignee's name and the labels from copies on the conversation
    (no join per page): renaming or deleting a teammate or a label shows in every list."""

    def listed(self, client, conversation_id) -> dict:
        (item,) = [
            item
            for item in client.get("/api/conversations").json()["conversations"]
            if item["conversation_id"] == conversation_id
        ]
        return item

    def test_a_renamed_assignee_reads_by_the_new_name(self, admin_api, ben, conversation):
        patch(admin_api, conversation, {"assignee": ben.pk})

        response = admin_api.patch(
            f"/api/teammates/{ben.pk}", {"first_name": "Benedict"}, format="json"
        )

        assert response.status_code == 200, response.content
        assert self.listed(admin_api, conversation)["assignee"] == {
            "id": ben.pk,
            "name": "Benedict Okafor",
        }

    def test_a_deleted_assignee_leaves_the_conversation_unassigned(
        self, admin_api, make_user, conversation
    ):
        cleo = make_user("cleo", first_name="Cleo")
        patch(admin_api, conversation, {"assignee": cleo.pk})

        cleo.delete()

        assert self.listed(admin_api, conversation)["assignee"] is None
        assert Conversation.objects.get(pk=conversation).assignee_name == ""

    def test_a_renamed_or_recoloured_label_reads_anew_and_a_deleted_one_is_gone(
        self, admin_api, conversation, email_thread, labels
    ):
        patch(admin_api, conversation, {"labels": ["VIP", "Billing"]})
        patch(admin_api, email_thread, {"labels": ["VIP"]}, kind="email_threads")

        renamed = admin_api.patch(
            f"/api/labels/{labels['vip'].pk}",
            {"name": "A-list", "colour": "#16a34a"},
            format="json",
        )
        assert renamed.status_code == 200, renamed.content

        a_list = {"id": labels["vip"].pk, "name": "A-list", "colour": "#16a34a"}
        billing = {"id": labels["billing"].pk, "name": "Billing", "colour": "#2563eb"}
        assert self.listed(admin_api, conversation)["labels"] == [a_list, billing]
        (thread,) = admin_api.get("/api/email_threads").json()["email_threads"]
        assert thread["labels"] == [a_list]

        assert admin_api.delete(f"/api/labels/{labels['vip'].pk}").status_code == 204

        assert self.listed(admin_api, conversation)["labels"] == [billing]
        (thread,) = admin_api.get("/api/email_threads").json()["email_threads"]
        assert thread["labels"] == []


class TestEmailThreads:
    def test_an_email_thread_changes_and_lists_its_activity_the_same_way(
        self, agent_api, ada, email_thread, labels
    ):
        response = patch(
            agent_api,
            email_thread,
            {"state": "closed", "assignee": ada.pk, "labels": ["Billing"]},
            kind="email_threads",
        )

        assert response.status_code == 200, response.content
        item = response.json()
        assert item["id"] == email_thread
        assert item["subject"] == "Your order"
        assert (item["state"], item["assignee"]["name"]) == ("closed", "Ada Lovelace")
        assert [label["name"] for label in item["labels"]] == ["Billing"]
        texts = [line["text"] for line in activity(agent_api, email_thread, "email_threads")]
        assert texts == [
            "Ben Okafor closed this",
            "Ben Okafor assigned this to Ada Lovelace",
            "Ben Okafor labelled this Billing",
        ]

    def test_each_list_knows_only_its_own_conversations(
        self, agent_api, sms_conversation, email_thread
    ):
        as_thread = patch(agent_api, sms_conversation, {"state": "closed"}, kind="email_threads")
        as_conversation = patch(agent_api, email_thread, {"state": "closed"})

        assert as_thread.status_code == as_conversation.status_code == 404
        assert as_thread.json() == {"error": "No email thread with this id."}
        assert as_conversation.json() == {"error": "No conversation with this id."}
        assert not Activity.objects.exists()


class TestRefusals:
    @pytest.mark.parametrize(
        ("change", "field", "error"),
        [
            ({"state": "archived"}, "state", '"archived" is not a valid choice.'),
            (
                {"state": "snoozed"},
                "snoozed_until",
                "Snoozing needs 'snoozed_until': when the conversation opens again. To end "
                "a snooze, set 'state' to 'open'.",
            ),
            (
                {"snoozed_until": "2020-01-01T09:00:00+00:00"},
                "snoozed_until",
                "'snoozed_until' must be in the future: the conversation opens again then.",
            ),
            (
                {"snoozed_until": (timezone.now() + timedelta(days=400)).isoformat()},
                "snoozed_until",
                "'snoozed_until' may be at most a year from now; close the conversation instead.",
            ),
            (
                {"state": "closed", "snoozed_until": (timezone.now() + timedelta(days=1))},
                "snoozed_until",
                "'snoozed_until' goes only with the state 'snoozed', not 'closed'.",
            ),
            (
                {"assignee": 999_999},
                "assignee",
                "'assignee' must be the id of an active teammate; 999999 is not one.",
            ),
            ({"assignee": "ben"}, "assignee", "A valid integer is required."),
            (
                {"labels": ["Billing", "Nope"]},
                "labels",
                "There is no label named 'Nope': an admin adds labels on the Team page.",
            ),
            ({"labels": "Billing"}, "labels", 'Expected a list of items but got type "str".'),
            (
                {"colour": "red"},
                "colour",
                "Unknown field 'colour': a conversation takes state, snoozed_until, assignee, "
                "labels.",
            ),
        ],
    )
    def test_an_unusable_change_is_a_400_naming_the_field_and_changes_nothing(
        self, agent_api, ada, conversation, labels, change, field, error
    ):
        # A valid part beside the bad one is not written either.
        response = patch(agent_api, conversation, {**change, "assignee": ada.pk} | change)

        assert response.status_code == 400, response.content
        assert response.json()["fields"][field] == [error]
        stored = Conversation.objects.get(id=conversation)
        assert (stored.state, stored.assignee_id, stored.snoozed_until) == ("open", None, None)
        assert not stored.labels.exists()
        assert not Activity.objects.exists()

    def test_an_inactive_teammate_cannot_be_assigned(self, agent_api, make_user, conversation):
        gone = make_user("gone", is_active=False)

        response = patch(agent_api, conversation, {"assignee": gone.pk})

        assert response.status_code == 400
        assert response.json()["error"] == (
            f"'assignee' must be the id of an active teammate; {gone.pk} is not one."
        )

    @pytest.mark.parametrize(
        "conversation_id", ["00000000-0000-4000-8000-000000000000", "not-an-id"]
    )
    def test_an_unknown_conversation_is_a_404(self, agent_api, conversation_id):
        assert patch(agent_api, conversation_id, {"state": "closed"}).status_code == 404
        assert agent_api.get(f"{url(conversation_id)}/activity").status_code == 404

    def test_changing_or_reading_activity_needs_a_signed_in_user(self, conversation):
        anonymous = APIClient()

        refused = patch(anonymous, conversation, {"state": "closed"})

        assert refused.status_code == 401
        assert "error" in refused.json()
        assert anonymous.get(f"{url(conversation)}/activity").status_code == 401
        assert Conversation.objects.get(id=conversation).state == "open"

    def test_a_session_without_its_csrf_token_is_refused(self, ben, conversation):
        browser = APIClient(enforce_csrf_checks=True)
        browser.force_login(ben)

        refused = patch(browser, conversation, {"state": "closed"})

        assert refused.status_code == 403
        assert "CSRF" in refused.json()["error"]
        assert Conversation.objects.get(id=conversation).state == "open"


class TestLive:
    def test_a_change_goes_to_every_inbox_without_anyones_unread_count(
        self, agent_api, ada, sms_conversation, inbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            patch(agent_api, sms_conversation, {"state": "closed", "assignee": ada.pk})

        updated, *activities = inbox.events()
        assert updated["type"] == "conversation.updated"
        assert updated["conversation"]["conversation_id"] == sms_conversation
        assert (updated["conversation"]["state"], updated["conversation"]["assignee"]) == (
            "closed",
            {"id": ada.pk, "name": "Ada Lovelace"},
        )
        assert "unread_count" not in updated["conversation"]
        assert updated["conversation"]["inbound_count"] == 0
        assert [event["type"] for event in activities] == ["activity.created"] * 2
        assert [event["activity"]["text"] for event in activities] == [
            "Ben Okafor closed this",
            "Ben Okafor assigned this to Ada Lovelace",
        ]
        assert [event["activity"] for event in activities] == activity(agent_api, sms_conversation)

    def test_an_email_thread_goes_out_as_the_thread_list_shows_it(
        self, agent_api, email_thread, inbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            patch(agent_api, email_thread, {"state": "closed"}, kind="email_threads")

        updated, created = inbox.events()
        assert updated["type"] == "email_thread.updated"
        assert updated["thread"]["id"] == email_thread
        assert updated["thread"]["state"] == "closed"
        assert "unread_count" not in updated["thread"]
        assert created["activity"]["text"] == "Ben Okafor closed this"

    def test_nothing_goes_out_before_the_commit_or_for_a_change_to_nothing(
        self, agent_api, conversation, inbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            patch(agent_api, conversation, {"state": "closed"})
            assert inbox.events() == []
        assert callbacks

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            patch(agent_api, conversation, {"state": "closed"})
        assert callbacks == []
        assert inbox.events() == []
