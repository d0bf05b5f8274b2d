"""?state=, ?assignee= and ?label= on both lists; without them every conversation is listed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.tests.conftest import token_client
from team.models import Label

pytestmark = pytest.mark.django_db


def send_sms(client, to: str) -> str:
    response = client.post("/api/send_message", {"to": to, "body": "Hello"}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["conversation_id"]


def send_email(client, to: str) -> str:
    response = client.post(
        "/api/send_email", {"to_email": to, "subject": "Hi", "body": "Hello"}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["email"]["thread_id"]


def change(client, conversation_id, kind="conversations", **fields) -> None:
    response = client.patch(f"/api/{kind}/{conversation_id}", fields, format="json")
    assert response.status_code == 200, response.content


def listed(client, kind="conversations", **params) -> list[str]:
    response = client.get(f"/api/{kind}", params)
    assert response.status_code == 200, response.content
    if kind == "conversations":
        return sorted(item["conversation_id"] for item in response.json()["conversations"])
    return sorted(item["id"] for item in response.json()["email_threads"])


@pytest.fixture
def billing(db):
    return Label.objects.create(name="Billing")


@pytest.fixture
def sms_inbox(agent_api, ben, ada, billing):
    """Four SMS conversations: open and Ben's, closed and Ada's with Billing, snoozed and
    nobody's, open and nobody's with Billing."""
    bens, adas, snoozed, labelled = (
        send_sms(agent_api, f"+1415555000{index}") for index in range(4)
    )
    change(agent_api, bens, assignee=ben.pk)
    change(agent_api, adas, state="closed", assignee=ada.pk, labels=["Billing"])
    change(agent_api, snoozed, snoozed_until=(timezone.now() + timedelta(days=7)).isoformat())
    change(agent_api, labelled, labels=["billing"])
    return {"bens": bens, "adas": adas, "snoozed": snoozed, "labelled": labelled}


def ids(inbox, *names) -> list[str]:
    return sorted(inbox[name] for name in names)


class TestConversationList:
    def test_without_filters_every_conversation_is_listed(self, agent_api, sms_inbox):
        assert listed(agent_api) == ids(sms_inbox, "bens", "adas", "snoozed", "labelled")

    @pytest.mark.parametrize(
        ("state", "names"),
        [("open", ["bens", "labelled"]), ("closed", ["adas"]), ("snoozed", ["snoozed"])],
    )
    def test_by_state(self, agent_api, sms_inbox, state, names):
        assert listed(agent_api, state=state) == ids(sms_inbox, *names)

    def test_by_assignee(self, agent_api, admin_api, ada, sms_inbox):
        assert listed(agent_api, assignee="me") == ids(sms_inbox, "bens")
        assert listed(admin_api, assignee="me") == ids(sms_inbox, "adas")
        assert listed(agent_api, assignee="none") == ids(sms_inbox, "snoozed", "labelled")
        assert listed(agent_api, assignee=str(ada.pk)) == ids(sms_inbox, "adas")

    def test_by_label_in_any_case(self, agent_api, sms_inbox):
        assert listed(agent_api, label="BILLING") == ids(sms_inbox, "adas", "labelled")

    def test_filters_combine(self, agent_api, sms_inbox):
        assert listed(agent_api, state="open", label="Billing") == ids(sms_inbox, "labelled")
        assert listed(agent_api, state="closed", assignee="none") == []

    def test_a_teammate_with_nothing_assigned_lists_nothing_as_theirs(self, sms_inbox, make_user):
        assert listed(token_client(make_user("carol")), assignee="me") == []


class TestEmailThreadList:
    def test_the_same_filters_narrow_the_email_threads(self, agent_api, ben, billing):
        closed = send_email(agent_api, "pat@example.com")
        mine = send_email(agent_api, "sam@example.com")
        change(agent_api, closed, kind="email_threads", state="closed", labels=["Billing"])
        change(agent_api, mine, kind="email_threads", assignee=ben.pk)

        assert listed(agent_api, "email_threads") == sorted([closed, mine])
        assert listed(agent_api, "email_threads", state="closed") == [closed]
        assert listed(agent_api, "email_threads", state="open", assignee="me") == [mine]
        assert listed(agent_api, "email_threads", label="billing") == [closed]
        assert listed(agent_api, "email_threads", assignee="none") == [closed]


@pytest.mark.parametrize("kind", ["conversations", "email_threads"])
@pytest.mark.parametrize(
    ("params", "field", "error"),
    [
        (
            {"state": "archived"},
            "state",
            "'state' must be one of open, snoozed, closed, not 'archived'.",
        ),
        (
            {"assignee": "someone"},
            "assignee",
            "'assignee' must be 'me', 'none' or a teammate's id, not 'someone'.",
        ),
        (
            {"assignee": "999999"},
            "assignee",
            "'assignee' must be 'me', 'none' or a teammate's id, not '999999'.",
        ),
        (
            {"assignee": "99999999999999999999"},
            "assignee",
            "'assignee' must be 'me', 'none' or a teammate's id, not '99999999999999999999'.",
        ),
        ({"label": "Nope"}, "label", "There is no label named 'Nope'."),
    ],
)
def test_an_unusable_filter_is_a_400_with_a_sentence(
    agent_api, billing, kind, params, field, error
):
    response = agent_api.get(f"/api/{kind}", params)

    assert response.status_code == 400
    assert response.json() == {"error": error, "fields": {field: [error]}}
