"""GET /api/email_threads, GET /api/email_threads/<id>, POST /api/email_threads/<id>/read,
and the thread keys every email answer gained."""

import pytest
from rest_framework.fields import DateTimeField
from rest_framework.test import APIClient

from attachments.selectors import attachment_download_url
from conversations.models import Conversation
from conversations.selectors import with_unread_count
from core.realtime import user_group
from emails import services
from emails.api import EmailThreadDetailSerializer, EmailThreadSerializer, ThreadEmailSerializer
from emails.models import Email
from emails.representation import (
    EMAIL_THREAD_FIELDS,
    THREAD_EMAIL_FIELDS,
    email_thread_data_for_user,
    email_thread_detail_data,
    thread_email_data,
)
from emails.tests.inbound_posts import CUSTOMER, HATCH_ADDRESS, mime, post_inbound, raw_fields
from messaging import services as messaging_services
from messaging.tests.factories import UserFactory
from web.renderers import FastJSONRenderer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_credentials")]

THREAD_KEYS = {
    "id",
    "subject",
    "participants",
    "contact",
    "last_message_at",
    "message_count",
    "preview",
    # What the team does with it, and the requesting user's own unread count.
    "state",
    "snoozed_until",
    "assignee",
    "labels",
    "inbound_count",
    "unread_count",
}
# Every key an email answer had before threads, then the two it gained.
EMAIL_KEYS = {
    "id",
    "to_email",
    "from_email",
    "subject",
    "body",
    "html_content",
    "cc",
    "bcc",
    "reply_to",
    "attachments",
    "refused_attachments",
    "status",
    "external_sid",
    "error_code",
    "error_message",
    "timestamp",
    "sent_at",
    "delivered_at",
    "updated_at",
    "direction",
    "thread_id",
    "sent_by",
    # When a scheduled email goes (tests/test_scheduled_sends.py).
    "scheduled_for",
    "held_until",
    "held_note",
}
THREAD_EMAIL_KEYS = EMAIL_KEYS | {
    "from_name",
    "message_id",
    "in_reply_to",
    "html_content_safe",
    "remote_images_blocked",
}

HOSTILE_HTML = (
    "<p onclick=\"alert('x')\">Hello <b>there</b></p>"
    "<script>fetch('/api/conversations')</script>"
    '<img src="https://tracker.example/open.gif?u=ana" width="1" height="1">'
    '<img src="http://cdn.example/banner.png" alt="Banner">'
    '<img src="cid:logo@mail.example.com">'
    '<a href="javascript:alert(1)">click</a>'
    '<form action="https://evil.example/"><input name="password"></form>'
    '<iframe src="https://evil.example/"></iframe>'
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def receive(client, message) -> Email:
    response = post_inbound(client, raw_fields(message))
    assert response.status_code == 200, response.content
    return Email.objects.get(id=response.json()["email_id"])


def sent(subject="Your order", to=CUSTOMER, body="It ships today.") -> Email:
    return services.email_send(to_email=to, subject=subject, body=body)


class TestList:
    def test_threads_are_listed_newest_activity_first_with_their_summary(self, api_client, client):
        older = sent(subject="Invoice", to="bob@example.com")
        newer = sent()
        reply = receive(
            client,
            mime(
                subject="Re: Invoice",
                sender="Bob Stone <bob@example.com>",
                Message_ID="<b1@x.example>",
                In_Reply_To=f"<{older.message_id}>",
            ),
        )

        page = api_client.get("/api/email_threads").json()

        assert page["next"] is None
        assert [t["id"] for t in page["email_threads"]] == [
            str(older.thread_id),  # the reply made it the newest
            str(newer.thread_id),
        ]
        bob = page["email_threads"][0]
        assert set(bob) == THREAD_KEYS
        thread = Conversation.objects.select_related("contact").get(id=reply.thread_id)
        assert bob == {
            "id": str(thread.id),
            "subject": "Invoice",
            "participants": ["bob@example.com", HATCH_ADDRESS],
            "contact": {"id": str(thread.contact_id), "name": thread.contact.name},
            "last_message_at": bob["last_message_at"],
            "message_count": 2,
            "preview": "Where is my order?",
            "state": "open",
            "snoozed_until": None,
            "assignee": None,
            "labels": [],
            "inbound_count": 1,
            "unread_count": 1,
        }
        assert bob["last_message_at"] == DateTimeField().to_representation(reply.created_at)

    def test_sms_and_internal_conversations_are_not_email_threads(self, api_client):
        messaging_services.message_send(to="+14155552671", body="Your table is ready")
        email = sent()

        threads = api_client.get("/api/email_threads").json()["email_threads"]

        assert [t["id"] for t in threads] == [str(email.thread_id)]

    def test_pages_follow_the_keyset(self, api_client):
        emails = [sent(subject=f"Order {number}") for number in range(5)]

        first = api_client.get("/api/email_threads", {"page_size": 2}).json()
        second = api_client.get(first["next"]).json()
        third = api_client.get(second["next"]).json()

        listed = [t["subject"] for page in (first, second, third) for t in page["email_threads"]]
        assert listed == [email.subject for email in reversed(emails)]
        assert third["next"] is None

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("invoice", ["Invoice"]),  # subject, any case
            ("BOB@", ["Invoice"]),  # participant
            ("ships tomorrow", ["Your order"]),  # preview
            ("team@hatch", ["Your order", "Invoice"]),  # Hatch's own address
            ("nothing like it", []),
            ("a\x00b", []),
        ],
    )
    def test_q_searches_subjects_participants_and_previews(self, api_client, query, found):
        sent(subject="Invoice", to="bob@example.com", body="Attached.")
        sent(subject="Your order", body="It ships tomorrow.")

        threads = api_client.get("/api/email_threads", {"q": query}).json()["email_threads"]

        assert [t["subject"] for t in threads] == found

    def test_a_list_costs_two_queries_whatever_its_length(
        self, api_client, django_assert_num_queries
    ):
        for number in range(12):
            sent(subject=f"Order {number}", to=f"p{number}@example.com")

        # The token, the page (contacts' and assignees' names, the user's read marks and the
        # labels in the same query).
        with django_assert_num_queries(2):
            response = api_client.get("/api/email_threads")

        assert len(response.json()["email_threads"]) == 12


class TestDetail:
    def test_a_thread_has_its_emails_oldest_first(self, api_client, client):
        ours = sent()
        theirs = receive(
            client,
            mime(
                subject="Re: Your order",
                Message_ID="<r1@mail.example.com>",
                In_Reply_To=f"<{ours.message_id}>",
            ),
        )

        thread = api_client.get(f"/api/email_threads/{ours.thread_id}").json()

        assert set(thread) == THREAD_KEYS | {"emails"}
        assert [e["id"] for e in thread["emails"]] == [str(ours.id), str(theirs.id)]
        first, second = thread["emails"]
        assert set(first) == set(second) == THREAD_EMAIL_KEYS
        assert (first["direction"], first["status"], first["message_id"]) == (
            "outbound",
            "queued",
            ours.message_id,
        )
        assert (second["direction"], second["status"], second["from_name"]) == (
            "inbound",
            "received",
            "Ana Lima",
        )
        assert second["in_reply_to"] == ours.message_id
        assert second["thread_id"] == str(ours.thread_id)

    def test_html_comes_back_inert_and_remote_images_blocked_unless_asked(self, api_client, client):
        message = mime(text="Hello there", html=HOSTILE_HTML, Message_ID="<h1@mail.example.com>")
        message.get_payload()[1].add_related(
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
            "image",
            "png",
            cid="<logo@mail.example.com>",
            filename="logo.png",
        )
        email = receive(client, message)
        [logo] = email.attachments.all()

        blocked = api_client.get(f"/api/email_threads/{email.thread_id}").json()["emails"][0]
        shown = api_client.get(f"/api/email_threads/{email.thread_id}", {"images": "1"}).json()

        safe = blocked["html_content_safe"]
        for dangerous in ("<script", "onclick", "javascript:", "<form", "<input", "<iframe"):
            assert dangerous not in safe
        assert "tracker.example" not in safe and "cdn.example" not in safe
        assert "<b>there</b>" in safe
        # The inline image, served by Hatch.
        assert f'<img src="{attachment_download_url(logo)}">' in safe
        assert blocked["remote_images_blocked"] == 2
        assert blocked["html_content"] == email.html_content  # as received, for programs
        shown_email = shown["emails"][0]
        assert shown_email["remote_images_blocked"] == 0
        assert 'src="https://tracker.example/open.gif?u=ana"' in shown_email["html_content_safe"]
        assert "<script" not in shown_email["html_content_safe"]

    @pytest.mark.parametrize("images", ["2", "yes", ""])
    def test_images_takes_0_or_1(self, api_client, images):
        email = sent()

        response = api_client.get(f"/api/email_threads/{email.thread_id}", {"images": images})

        assert response.status_code == 400
        assert response.json()["fields"] == {"images": ["'images' must be 0 or 1."]}

    @pytest.mark.parametrize("kind", ["unknown", "malformed", "sms"])
    def test_an_unknown_thread_is_a_404(self, api_client, kind):
        sms = messaging_services.message_send(to="+14155552671", body="Hi")
        thread_id = {
            "unknown": "00000000-0000-4000-8000-000000000000",
            "malformed": "not-a-uuid",
            "sms": sms.conversation_id,
        }[kind]

        response = api_client.get(f"/api/email_threads/{thread_id}")

        assert response.status_code == 404
        assert response.json() == {"error": "No email thread with this id."}

    def test_a_thread_costs_three_queries_whatever_its_length(
        self, api_client, client, django_assert_num_queries
    ):
        ours = sent()
        for number in range(6):
            receive(
                client,
                mime(Message_ID=f"<r{number}@x.example>", In_Reply_To=f"<{ours.message_id}>"),
            )

        with django_assert_num_queries(3):  # the token, the thread with its labels, its emails
            response = api_client.get(f"/api/email_threads/{ours.thread_id}")

        assert len(response.json()["emails"]) == 7


class TestRead:
    def test_marking_read_zeroes_the_readers_unread_count_and_nobody_elses(
        self, api_client, client
    ):
        teammate = APIClient()
        teammate.force_authenticate(UserFactory(username="dana"))
        ours = sent()
        receive(client, mime(Message_ID="<u1@x.example>", In_Reply_To=f"<{ours.message_id}>"))
        receive(client, mime(Message_ID="<u2@x.example>", In_Reply_To=f"<{ours.message_id}>"))

        response = api_client.post(f"/api/email_threads/{ours.thread_id}/read")

        assert response.status_code == 200
        assert set(response.json()) == THREAD_KEYS
        assert (response.json()["unread_count"], response.json()["inbound_count"]) == (0, 2)
        mine = api_client.get(f"/api/email_threads/{ours.thread_id}").json()
        theirs = teammate.get(f"/api/email_threads/{ours.thread_id}").json()
        assert (mine["unread_count"], theirs["unread_count"]) == (0, 2)
        assert Conversation.objects.get(id=ours.thread_id).inbound_count == 2

    def test_the_readers_own_pages_are_told(self, api_client, client, user, monkeypatch):
        published = []
        monkeypatch.setattr(
            "conversations.live.publish_on_commit",
            lambda build, group=None: published.append((group, build())),
        )
        ours = sent()
        receive(client, mime(Message_ID="<u1@x.example>", In_Reply_To=f"<{ours.message_id}>"))

        api_client.post(f"/api/email_threads/{ours.thread_id}/read")
        api_client.post(f"/api/email_threads/{ours.thread_id}/read")  # nothing changes

        assert published == [
            (
                user_group(user.pk),
                {"type": "conversation.read", "conversation_id": ours.thread_id, "inbound_read": 1},
            )
        ]

    def test_an_unknown_thread_is_a_404(self, api_client):
        response = api_client.post("/api/email_threads/00000000-0000-4000-8000-000000000000/read")

        assert response.status_code == 404


class TestEmailAnswersGainTheirThread:
    def test_send_list_and_detail_carry_direction_and_thread_id(self, api_client):
        answer = api_client.post(
            "/api/send_email",
            {"to_email": CUSTOMER, "subject": "Hi", "body": "Hello"},
            format="json",
        ).json()
        email = Email.objects.get(id=answer["email_id"])

        listed = api_client.get("/api/emails").json()["emails"][0]
        detail = api_client.get(f"/api/emails/{email.id}").json()

        for shape in (answer["email"], listed):
            assert set(shape) == EMAIL_KEYS
        assert set(detail) == EMAIL_KEYS | {"events"}
        for shape in (answer["email"], listed, detail):
            assert (shape["direction"], shape["thread_id"]) == ("outbound", str(email.thread_id))
        # The seed's keys of the send answer are all still there.
        assert {"success", "email_id", "status", "message_id", "method"} <= set(answer)


class TestTheSchemaDescribesWhatIsSent:
    """The serializers document the shapes (OpenAPI); the representation builds them."""

    render = staticmethod(FastJSONRenderer().render)

    @pytest.fixture
    def thread(self, client):
        ours = sent()
        message = mime(text="Hi", html=HOSTILE_HTML, Message_ID="<s1@x.example>")
        message["In-Reply-To"] = f"<{ours.message_id}>"
        receive(client, message)
        return Conversation.objects.select_related("contact").get(id=ours.thread_id)

    @pytest.mark.parametrize("allow_remote_images", [False, True])
    def test_threads_and_their_emails_render_as_their_serializers_describe(
        self, thread, user, allow_remote_images
    ):
        annotated = with_unread_count(Conversation.objects.filter(pk=thread.pk), user=user)
        (row,) = annotated.values(*EMAIL_THREAD_FIELDS, "unread_count")
        thread = annotated.select_related("contact").get()
        emails = list(thread.emails.order_by("created_at", "id").values(*THREAD_EMAIL_FIELDS))
        context = {"allow_remote_images": allow_remote_images}

        assert self.render(email_thread_data_for_user(row)) == self.render(
            EmailThreadSerializer(thread).data
        )
        for email_row, email in zip(emails, thread.emails.order_by("created_at", "id")):
            assert self.render(
                thread_email_data(email_row, allow_remote_images=allow_remote_images)
            ) == self.render(ThreadEmailSerializer(email, context=context).data)
        assert self.render(
            email_thread_detail_data(row, emails, allow_remote_images=allow_remote_images)
        ) == self.render(EmailThreadDetailSerializer(thread, context=context).data)
