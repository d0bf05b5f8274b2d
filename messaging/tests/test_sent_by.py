"""Who sent a message (``sent_by``), and the rule that an internal message goes out under
its sender's own name, never another teammate's."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging import services
from messaging.events import InboundMessage, StatusChanged
from messaging.models import Message, MessageStatus
from messaging.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CUSTOMER, HATCH_NUMBER = "+14155552671", "+15005550006"
CASEY = {"name": "Casey Jones"}


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def send(client, to="Front desk", body="Table 4 is ready", **extra):
    return client.post("/api/send_message", {"to": to, "body": body, **extra}, format="json")


def receive(body="Is my table ready?") -> Message:
    message, _ = services.message_receive(
        event=InboundMessage(from_contact=CUSTOMER, to_contact=HATCH_NUMBER, body=body)
    )
    return message


@pytest.fixture
def amara():
    return UserFactory(username="amara", first_name="Amara", last_name="Walsh")


class TestEveryAnswerNamesTheSender:
    def test_the_send_answer_names_who_sent_it(self, api_client, user):
        answer = send(api_client).json()

        assert answer["message"]["sent_by"] == {"id": user.pk, **CASEY}

    def test_lists_detail_and_thread_pages_name_the_sender(self, api_client, user):
        answer = send(api_client, to=CUSTOMER).json()
        receive()
        conversation, message = answer["conversation_id"], answer["message_id"]

        listed = api_client.get("/api/messages").json()["messages"]
        detail = api_client.get(f"/api/messages/{message}").json()
        thread = api_client.get(f"/api/conversation/{conversation}/messages").json()["messages"]
        newer = api_client.get(
            f"/api/conversation/{conversation}/new_messages",
            {"since": "2000-01-01T00:00:00+00:00"},
        ).json()["messages"]

        me = {"id": user.pk, **CASEY}
        assert [item["sent_by"] for item in listed] == [None, me]
        assert detail["sent_by"] == me
        assert [item["sent_by"] for item in thread] == [me, None]
        assert [item["sent_by"] for item in newer] == [me, None]

    def test_a_teammate_without_a_full_name_is_named_by_username(self):
        sam = UserFactory(username="sam")

        answer = send(client_for(sam)).json()

        assert answer["message"]["sent_by"] == {"id": sam.pk, "name": "sam"}

    def test_a_message_sent_by_a_command_has_no_sender(self):
        call_command(
            "send_sms",
            "--to",
            "Front desk",
            "--body",
            "hi",
            "--from",
            "Night shift",
            stdout=StringIO(),
        )

        assert Message.objects.get().sent_by is None

    def test_a_deleted_senders_messages_have_no_sender(self, user):
        other = UserFactory(username="leaver", first_name="Lee", last_name="Ver")
        send(client_for(other))
        other.delete()

        (listed,) = client_for(user).get("/api/messages").json()["messages"]

        assert listed["sent_by"] is None

    def test_the_live_events_name_the_sender(self, api_client, user, monkeypatch):
        builds = []
        monkeypatch.setattr("messaging.live.publish_on_commit", builds.append)
        answer = send(api_client, to=CUSTOMER).json()
        services.message_status_apply(
            event=StatusChanged(
                provider_message_id="SM" + "1" * 32,
                message_id=answer["message_id"],
                provider_status="sent",
                status=MessageStatus.SENT,
                payload={"MessageStatus": "sent"},
            )
        )

        created, updated = [build() for build in builds]

        assert created["type"] == "message.created"
        assert updated["type"] == "message.updated"
        for event in (created, updated):
            assert event["message"]["sent_by"] == {"id": user.pk, **CASEY}


class TestTheSendersCostOneQueryAPage:
    @pytest.fixture
    def thread(self, api_client):
        senders = [UserFactory(first_name=f"Agent{n}", last_name="Smith") for n in range(3)]
        conversation_id = None
        for index in range(12):
            receive(f"question {index}")
            answer = send(client_for(senders[index % 3]), to=CUSTOMER, body=f"answer {index}")
            conversation_id = answer.json()["conversation_id"]
        return conversation_id

    def test_a_thread_names_its_senders_in_one_query_at_any_page_size(
        self, api_client, thread, django_assert_num_queries
    ):
        for size in (1, 1000):
            # The token, the page, the names of the teammates on it.
            with django_assert_num_queries(3):
                response = api_client.get(f"/api/conversation/{thread}/messages?page_size={size}")
        names = {item["sent_by"]["name"] for item in response.json()["messages"] if item["sent_by"]}
        assert names == {"Agent0 Smith", "Agent1 Smith", "Agent2 Smith"}

    def test_a_page_that_nobody_sent_looks_nobody_up(self, api_client, django_assert_num_queries):
        for index in range(5):
            receive(f"question {index}")
        conversation = Message.objects.first().conversation_id

        with django_assert_num_queries(2):  # the token, the page
            response = api_client.get(f"/api/conversation/{conversation}/messages")
        assert {item["sent_by"] for item in response.json()["messages"]} == {None}


class TestInternalMessagesGoOutUnderTheSendersOwnName:
    @pytest.mark.parametrize(
        "name", ["Amara Walsh", "amara walsh", "AMARA  WALSH", " Amara Walsh ", "amara", "AMARA"]
    )
    def test_another_teammates_name_is_refused(self, api_client, amara, name):
        response = send(api_client, **{"from": name})

        assert response.status_code == 403
        error = response.json()
        assert error["error"].startswith(
            f"'{name.strip()}' is another teammate's name: messages are sent under your own name."
        )
        assert error["fields"] == {"from": [error["error"]]}
        assert not Message.objects.exists()

    def test_an_inactive_teammates_name_is_refused_too(self, api_client, amara):
        amara.is_active = False
        amara.save()

        response = send(api_client, **{"from": "Amara Walsh"})

        assert response.status_code == 403

    def test_a_name_in_several_words_is_matched_however_it_splits(self, api_client):
        UserFactory(username="mal", first_name="Mary Ann", last_name="Lee")

        assert send(api_client, **{"from": "mary ann lee"}).status_code == 403

    @pytest.mark.parametrize("name", ["Casey Jones", "casey jones", "casey", "CASEY"])
    def test_my_own_names_are_mine_to_use(self, api_client, user, name):
        response = send(api_client, **{"from": name})

        assert response.status_code == 200, response.content
        message = Message.objects.get()
        assert message.from_contact == name.strip()
        assert message.sent_by == user

    def test_a_shared_name_that_is_nobodys_account_is_open_to_everyone(
        self, api_client, user, amara
    ):
        response = send(api_client, **{"from": "Front desk"})

        assert response.status_code == 200
        assert response.json()["message"]["from_contact"] == "Front desk"
        assert response.json()["message"]["sent_by"] == {"id": user.pk, **CASEY}

    def test_a_name_only_part_of_a_teammates_is_no_ones(self, api_client, amara):
        assert send(api_client, **{"from": "Walsh"}).status_code == 200
        assert send(api_client, **{"from": "Amara W."}).status_code == 200

    def test_a_namesake_may_use_the_name_they_share(self, amara):
        other_amara = UserFactory(username="amara2", first_name="Amara", last_name="Walsh")

        response = send(client_for(other_amara), **{"from": "Amara Walsh"})

        assert response.status_code == 200

    def test_sms_senders_are_numbers_and_not_concerned(self, api_client, amara):
        assert send(api_client, to=CUSTOMER).status_code == 200

    def test_a_command_may_not_send_under_a_teammates_name(self, amara):
        with pytest.raises(CommandError, match="'Amara Walsh' is a teammate's name"):
            call_command(
                "send_sms",
                "--to",
                "Front desk",
                "--body",
                "hi",
                "--from",
                "Amara Walsh",
                stdout=StringIO(),
            )

        assert not Message.objects.exists()

    def test_a_command_may_send_under_a_shared_name(self, amara):
        out = StringIO()

        call_command(
            "send_sms", "--to", "Front desk", "--body", "hi", "--from", "Front desk", stdout=out
        )

        assert "from Front desk" in out.getvalue()


def test_the_admin_filters_messages_by_who_sent_them(admin_client, user, amara):
    send(client_for(user), body="from casey")
    send(client_for(amara), body="from amara")
    receive("from a customer")

    url = reverse("admin:messaging_message_changelist")
    page = admin_client.get(url, {"sent_by__id__exact": amara.pk}).content.decode()

    assert "from amara" in page
    assert "from casey" not in page and "from a customer" not in page
    assert "By sent by" in admin_client.get(url).content.decode()
