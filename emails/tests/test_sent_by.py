"""Who sent an email (``sent_by``): in every email answer, named in one query a page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from emails import services
from emails.models import Email
from emails.tests.inbound_posts import mime, post_inbound, raw_fields
from messaging.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_credentials")]

CASEY = {"name": "Casey Jones"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def send(client, subject="Your order", body="It shipped.", **extra):
    response = client.post(
        "/api/send_email",
        {"to_email": "pat@example.com", "subject": subject, "body": body, **extra},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def receive(**headers) -> Email:
    response = post_inbound(Client(), raw_fields(mime(**headers)))
    assert response.status_code == 200, response.content
    return Email.objects.get(id=response.json()["email_id"])


def test_every_email_answer_names_who_sent_it(api_client, user):
    answer = send(api_client)
    email = Email.objects.get(id=answer["email_id"])
    receive(Message_ID="<r1@x.example>", In_Reply_To=f"<{email.message_id}>")

    listed = api_client.get("/api/emails").json()["emails"]
    detail = api_client.get(f"/api/emails/{email.id}").json()
    thread = api_client.get(f"/api/email_threads/{email.thread_id}").json()["emails"]

    me = {"id": user.pk, **CASEY}
    assert answer["email"]["sent_by"] == me
    assert [item["sent_by"] for item in listed] == [None, me]
    assert detail["sent_by"] == me
    assert [item["sent_by"] for item in thread] == [me, None]


def test_an_email_sent_without_a_user_has_no_sender(api_client):
    services.email_send(to_email="pat@example.com", subject="Receipt", body="Thanks")

    (listed,) = api_client.get("/api/emails").json()["emails"]

    assert listed["sent_by"] is None


def test_the_live_event_names_the_sender(api_client, user, monkeypatch):
    builds = []
    monkeypatch.setattr("emails.live.publish_on_commit", builds.append)

    send(api_client)

    (event,) = [build() for build in builds]
    assert event["type"] == "email.created"
    assert event["email"]["sent_by"] == {"id": user.pk, **CASEY}


def test_a_list_names_its_senders_in_one_query_at_any_page_size(
    api_client, django_assert_num_queries
):
    for number in range(3):
        agent = UserFactory(first_name=f"Agent{number}", last_name="Smith")
        for _ in range(4):
            send(client_for(agent))

    for size in (1, 1000):
        # The token, the page, the names of the teammates who sent it.
        with django_assert_num_queries(3):
            response = api_client.get(f"/api/emails?page_size={size}")
    assert len({email["sent_by"]["id"] for email in response.json()["emails"]}) == 3


def test_a_list_nobody_sent_looks_nobody_up(api_client, django_assert_num_queries):
    for number in range(3):
        receive(Message_ID=f"<r{number}@x.example>", subject=f"Question {number}")

    with django_assert_num_queries(2):  # the token, the page
        response = api_client.get("/api/emails")
    assert {email["sent_by"] for email in response.json()["emails"]} == {None}


def test_a_thread_names_all_its_senders_in_one_query(api_client):
    first = Email.objects.get(id=send(api_client)["email_id"])
    others = [UserFactory(first_name=f"Agent{n}", last_name="Lee") for n in range(3)]
    for agent in others:
        send(client_for(agent), body="More news", in_reply_to=str(first.id))
    url = f"/api/email_threads/{first.thread_id}"

    with CaptureQueriesContext(connection) as captured:
        emails = api_client.get(url).json()["emails"]

    names = [email["sent_by"]["name"] for email in emails]
    assert names == ["Casey Jones", "Agent0 Lee", "Agent1 Lee", "Agent2 Lee"]
    # The four senders are read in one query.
    users_read = [sql for sql in captured.captured_queries if 'FROM "auth_user"' in sql["sql"]]
    assert len(users_read) == 1


def test_the_admin_filters_emails_by_who_sent_them(admin_client, user):
    amara = UserFactory(username="amara", first_name="Amara", last_name="Walsh")
    send(client_for(user), subject="From Casey")
    send(client_for(amara), subject="From Amara")

    url = reverse("admin:emails_email_changelist")
    page = admin_client.get(url, {"sent_by__id__exact": amara.pk}).content.decode()

    assert "From Amara" in page and "From Casey" not in page
