"""POST /webhooks/sendgrid/inbound: SendGrid's Inbound Parse, from the request to the stored email.

Every post is real multipart/form-data, built as SendGrid builds it (emails.tests.
inbound_posts), in both modes, through Django's test client with Basic credentials.
"""

import json

import pytest
from django.db import OperationalError, connection
from django.test import Client

from attachments.models import Attachment
from attachments.selectors import attachment_download_url
from attachments.tests import samples
from contacts.models import Contact, ContactPoint
from conversations.models import Conversation
from emails.models import Email, EmailDirection, EmailStatus
from emails.tests.inbound_posts import (
    CUSTOMER,
    HATCH_ADDRESS,
    INBOUND_PATH,
    basic,
    default_fields,
    envelope,
    header_block,
    mime,
    multipart,
    post_inbound,
    raw_fields,
)
from emails.tests.test_inbound_parse import PDF, PNG, customer_email
from messaging.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_credentials")]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def published(monkeypatch):
    """The inbox events the request published, built as they would be after the commit."""
    builds = []
    monkeypatch.setattr("emails.live.publish_on_commit", builds.append)
    return lambda: [event for build in builds if (event := build()) is not None]


def counts() -> dict[str, int]:
    """Every table a received email writes to."""
    return {
        "emails": Email.objects.count(),
        "threads": Conversation.objects.count(),
        "contacts": Contact.objects.count(),
        "points": ContactPoint.objects.count(),
        "attachments": Attachment.objects.count(),
    }


NOTHING = {"emails": 0, "threads": 0, "contacts": 0, "points": 0, "attachments": 0}

ATTACHMENT_INFO = {
    "attachment1": {"filename": "Scan 1.pdf", "name": "Scan 1.pdf", "type": "application/pdf"},
    "attachment2": {
        "filename": "logo.png",
        "name": "logo.png",
        "type": "image/png",
        "content-id": "ii_logo01",
    },
}


class TestDefaultMode:
    def test_an_email_with_attachments_is_stored_as_received(self, client, published):
        files = {
            "attachment1": ("Scan 1.pdf", samples.PDF, "application/pdf"),
            "attachment2": ("logo.png", samples.png(), "image/png"),
        }
        fields = default_fields(
            attachments="2",
            html='<p>Where is my order?</p><img src="cid:ii_logo01">',
            **{"attachment-info": json.dumps(ATTACHMENT_INFO)},
        )

        response = post_inbound(client, fields, files)

        assert response.status_code == 200, response.content
        email = Email.objects.get()
        assert response.json() == {"email_id": str(email.id), "created": True}
        assert (email.direction, email.status) == (EmailDirection.INBOUND, EmailStatus.RECEIVED)
        assert (email.from_email, email.from_name) == (CUSTOMER, "Ana Lima")
        assert email.to_email == HATCH_ADDRESS
        assert (email.subject, email.body) == ("Order 1234", "Where is my order?\n")
        assert email.html_content == '<p>Where is my order?</p><img src="cid:ii_logo01">'
        assert email.message_id == "CAJ1@mail.example.com"
        [pdf, logo] = email.attachment_links.select_related("attachment").order_by("position")
        stored = pdf.attachment
        assert (stored.filename, stored.content_type, stored.size) == (
            "Scan 1.pdf",
            "application/pdf",
            len(samples.PDF),
        )
        assert (pdf.content_id, logo.content_id) == ("", "ii_logo01")
        assert stored.file.read() == samples.PDF
        assert attachment_download_url(stored) == f"/files/{stored.id}/Scan%201.pdf"
        assert email.attachment_count == 2
        [event] = published()
        assert event["type"] == "email.created"
        assert event["email"]["id"] == email.id
        assert event["thread"]["inbound_count"] == 1
        assert "unread_count" not in event["thread"]  # each user's own, never in an event

    def test_the_stored_files_open_for_a_signed_in_person(self, client):
        files = {"attachment1": ("Scan 1.pdf", samples.PDF, "application/pdf")}
        post_inbound(client, default_fields(attachments="1"), files)
        [pdf] = Email.objects.get().attachments.all()

        reader = Client()
        reader.force_login(UserFactory())
        response = reader.get(attachment_download_url(pdf))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == samples.PDF

    def test_the_sender_becomes_a_contact_on_a_new_thread(self, client):
        post_inbound(client, default_fields())

        email = Email.objects.select_related("thread__contact").get()
        thread = email.thread
        assert thread.channel == "email"
        assert thread.contact.name == "Ana Lima"
        assert ContactPoint.objects.get(value=CUSTOMER).contact == thread.contact
        assert (thread.subject, thread.reply_to, thread.own_contact) == (
            "Order 1234",
            CUSTOMER,
            HATCH_ADDRESS,
        )
        assert (thread.message_count, thread.inbound_count) == (1, 1)
        assert thread.last_message_preview == "Where is my order?"
        assert thread.last_message_at == email.created_at

    def test_a_program_the_policy_refuses_is_listed_but_not_kept(self, client):
        files = {
            "attachment1": ("invoice.pdf.exe", samples.EXE, "application/pdf"),
            "attachment2": ("Scan 1.pdf", samples.PDF, "application/pdf"),
        }

        response = post_inbound(client, default_fields(attachments="2"), files)

        assert response.status_code == 200
        email = Email.objects.get()
        [program] = email.refused_attachments
        assert program["filename"] == "invoice.pdf.exe"
        assert "program" in program["reason"]
        [pdf] = email.attachments.all()
        assert Attachment.objects.get() == pdf


class TestRawMode:
    def test_a_whole_mime_message_is_stored_with_its_threading_and_files(self, client):
        response = post_inbound(client, raw_fields(customer_email()))

        assert response.status_code == 200, response.content
        email = Email.objects.get()
        assert (email.from_email, email.from_name) == ("joerg@example.de", "Jörg Müller")
        assert email.to_email == HATCH_ADDRESS  # the envelope's: the address it reached
        assert email.cc == ["team@parse.hatch.test", "colleague@example.de", "boss@example.de"]
        assert email.subject == "Rückfrage zur Bestellung"
        assert email.body == "Grüße aus Köln, ¿qué tal?\n"
        assert email.html_content.startswith("<p>Grüße aus Köln")
        assert email.message_id == "reply-2@mail.example.de"
        assert email.in_reply_to == "hatch-1@hatch.test"
        assert email.references == "root-0@mail.example.de hatch-1@hatch.test"
        links = email.attachment_links.select_related("attachment").order_by("position")
        assert [(link.attachment.filename, link.content_id) for link in links] == [
            ("logo.png", "logo@mail.example.de"),
            ("Rechnung 04.pdf", ""),
        ]
        contents = {a.filename: a.file.read() for a in Attachment.objects.all()}
        assert contents == {"logo.png": PNG, "Rechnung 04.pdf": PDF}

    def test_an_email_larger_than_djangos_form_limit_is_received_whole(self, client, settings):
        # Raw mode carries the whole email as one text field: Django's form parser holds
        # text fields to DATA_UPLOAD_MAX_MEMORY_SIZE (1 MiB), which would refuse it.
        big = samples.png_of_size(3 * 1024 * 1024)
        message = mime(Message_ID="<big-1@example.com>")
        message.add_attachment(big, "image", "png", filename="scan.png")
        assert len(str(message)) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

        response = post_inbound(client, raw_fields(message))

        assert response.status_code == 200, response.content
        [attachment] = Attachment.objects.all()
        assert attachment.file.read() == big

    def test_a_post_over_the_inbound_limit_is_a_413(self, client, settings):
        settings.SENDGRID_INBOUND_MAX_BODY_SIZE = 50_000
        message = mime()
        message.add_attachment(b"x" * 60_000, "application", "octet-stream", filename="a.bin")

        response = post_inbound(client, raw_fields(message))

        assert response.status_code == 413
        assert "SENDGRID_INBOUND_MAX_BODY_SIZE" in response.json()["error"]
        assert counts() == NOTHING


class TestHostileBytes:
    def test_nul_and_bytes_that_are_not_utf8_are_stored_never_a_500(self, client):
        fields = default_fields(
            subject="Hi\x00 there",
            text=b"caf\xe9 \x00ok\n",  # Latin-1, and a NUL (PostgreSQL stores neither)
            html=b"<p>\xff\xfe</p>",
            **{"from": "Ana\x00 <ana@example.com>"},
        )

        response = post_inbound(client, fields)

        assert response.status_code == 200, response.content
        email = Email.objects.get()
        assert (email.subject, email.from_name) == ("Hi there", "Ana")
        assert email.body == "caf\ufffd ok\n"
        assert email.html_content == "<p>\ufffd\ufffd</p>"

    def test_a_file_name_with_a_path_and_raw_utf8_keeps_its_last_part(self, client):
        files = {"attachment1": ("../../etc/Rechnung März.pdf", samples.PDF, "application/pdf")}

        response = post_inbound(client, default_fields(attachments="1"), files)

        assert response.status_code == 200
        assert Attachment.objects.get().filename == "Rechnung März.pdf"


class TestWhatAnOutboundEmailCouldNotBe:
    """Kept as it came, even where Hatch would refuse to send such an email."""

    def test_an_email_without_subject_or_text_only_html(self, client):
        message = mime(subject="", text=None, html="<p>Only <b>HTML</b></p>")

        assert post_inbound(client, raw_fields(message)).status_code == 200

        email = Email.objects.select_related("thread").get()
        assert (email.subject, email.body) == ("", "")
        assert email.html_content.strip() == "<p>Only <b>HTML</b></p>"
        assert email.thread.last_message_preview == "Only HTML"

    def test_an_email_with_only_an_attachment(self, client):
        files = {"attachment1": ("Scan 1.pdf", samples.PDF, "application/pdf")}
        fields = default_fields(text=None, html=None, subject=None, attachments="1")

        assert post_inbound(client, fields, files).status_code == 200

        email = Email.objects.get()
        assert (email.subject, email.body, email.html_content) == ("", "", "")
        assert [a.filename for a in email.attachments.all()] == ["Scan 1.pdf"]


class TestCredentials:
    @pytest.mark.parametrize(
        "authorization",
        [
            "",  # none at all
            basic(password="wrong"),  # forged
            basic(username="intruder"),
            "Bearer " + basic()[6:],
        ],
        ids=["missing", "wrong-password", "wrong-username", "not-basic"],
    )
    def test_a_post_without_the_right_credentials_is_a_401_and_stores_nothing(
        self, client, authorization
    ):
        response = post_inbound(client, default_fields(), authorization=authorization)

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == (
            'Basic realm="Hatch SendGrid Inbound Parse", charset="UTF-8"'
        )
        assert response.json() == {"error": "Missing or wrong credentials."}
        assert counts() == NOTHING

    def test_nothing_is_accepted_until_credentials_are_configured(self, client, settings):
        settings.SENDGRID_INBOUND_PASSWORD = ""

        response = post_inbound(client, default_fields(), authorization=basic(password=""))

        assert response.status_code == 401
        assert counts() == NOTHING

    def test_a_signed_in_session_is_no_credential(self, client):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))

        response = post_inbound(client, default_fields(), authorization="")

        assert response.status_code == 401


class TestTheRoute:
    def test_only_post_is_allowed(self, client):
        response = client.get(INBOUND_PATH, headers={"Authorization": basic()})

        assert response.status_code == 405
        assert response["Allow"] == "POST"

    def test_no_redirect_is_ever_answered(self, client):
        # SendGrid does not follow redirects: an APPEND_SLASH redirect would lose the email.
        body, content_type = multipart(default_fields())

        for path in (INBOUND_PATH, INBOUND_PATH + "/"):
            response = client.generic(
                "POST", path, data=body, content_type=content_type, headers={}
            )
            assert response.status_code in (401, 404), path


class TestDuplicates:
    def test_a_repeated_post_stores_one_email(self, client):
        first = post_inbound(client, default_fields())
        again = post_inbound(client, default_fields())

        assert first.json()["created"] is True
        assert again.status_code == 200
        assert again.json() == {"email_id": first.json()["email_id"], "created": False}
        assert counts() | {"attachments": 0} == {
            "emails": 1,
            "threads": 1,
            "contacts": 1,
            "points": 1,
            "attachments": 0,
        }
        assert Conversation.objects.get().message_count == 1

    def test_one_message_to_two_hatch_addresses_is_stored_once(self, client):
        to_both = mime(to=f"{HATCH_ADDRESS}, sales@hatch.test", Message_ID="<both-1@example.com>")

        first = post_inbound(client, raw_fields(to_both, envelope=envelope(HATCH_ADDRESS)))
        second = post_inbound(client, raw_fields(to_both, envelope=envelope("sales@hatch.test")))

        assert (first.status_code, second.status_code) == (200, 200)
        assert second.json()["created"] is False
        assert Email.objects.count() == 1

    def test_an_email_without_a_message_id_is_recognised_by_its_content(self, client):
        headers = header_block(Date="Mon, 02 Mar 2026 09:30:00 +0100")

        post_inbound(client, default_fields(headers=headers))
        post_inbound(client, default_fields(headers=headers))
        post_inbound(client, default_fields(headers=headers, text="Another question\n"))

        assert Email.objects.count() == 2
        assert all(e.message_id.startswith("sha256:") for e in Email.objects.all())


class TestMalformedPosts:
    @pytest.mark.parametrize(
        ("fields", "reason"),
        [
            (default_fields(**{"from": None}), "neither the 'email' field"),
            (default_fields(**{"from": "Just A Name"}), "'from' field has no email address"),
            (default_fields(envelope="{to: [x]"), "'envelope' field is not JSON"),
            (raw_fields("Subject: no sender\r\n\r\nHello\r\n"), "no From address"),
            (raw_fields("not an email at all"), "no From address"),
        ],
        ids=["no-from-field", "from-without-address", "bad-envelope", "mime-no-from", "garbage"],
    )
    def test_a_post_that_is_not_an_email_is_a_400_with_the_reason(self, client, fields, reason):
        response = post_inbound(client, fields)

        assert response.status_code == 400
        assert reason in response.json()["error"]
        assert counts() == NOTHING

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (b"--b\r\n", "multipart/form-data; boundary=b"),
            (b"no parts here", "multipart/form-data; boundary=b"),
            (b"anything", "multipart/form-data"),
            (b"\xff\xfe\x00garbage", "application/octet-stream"),
        ],
        ids=["truncated", "no-parts", "no-boundary", "not-a-form"],
    )
    def test_a_body_that_is_no_form_is_a_400(self, client, body, content_type):
        response = client.generic(
            "POST",
            INBOUND_PATH,
            data=body,
            content_type=content_type,
            headers={"Authorization": basic()},
        )

        assert response.status_code == 400
        assert response.json()["error"]
        assert counts() == NOTHING


class TestDatabaseOutage:
    """SendGrid retries a 5xx for three days and drops a 2xx it answered for: an email
    Hatch could not store must never be answered 2xx."""

    def test_a_database_that_cannot_be_reached_answers_503_and_the_retry_stores_once(self, client):
        def unreachable(execute, sql, params, many, context):
            raise OperationalError("connection failed: Connection refused")

        with connection.execute_wrapper(unreachable):
            down = post_inbound(client, raw_fields(customer_email()))

        assert down.status_code == 503
        assert down["Retry-After"] == "5"
        assert "briefly unavailable" in down.json()["error"]
        assert counts() == NOTHING

        retried = post_inbound(client, raw_fields(customer_email()))
        again = post_inbound(client, raw_fields(customer_email()))

        assert retried.status_code == 200 and retried.json()["created"] is True
        assert again.json()["created"] is False
        assert Email.objects.count() == 1

    def test_an_outage_halfway_leaves_no_contact_thread_or_file_row_behind(self, client):
        # The contact, the thread and the attachments are written before the email; the
        # connection is lost as the email is inserted.
        def lost_at_the_email(execute, sql, params, many, context):
            if sql.startswith('INSERT INTO "emails_email"'):
                raise OperationalError("server closed the connection unexpectedly")
            return execute(sql, params, many, context)

        with connection.execute_wrapper(lost_at_the_email):
            down = post_inbound(client, raw_fields(customer_email()))

        assert down.status_code == 503
        assert counts() == NOTHING

        assert post_inbound(client, raw_fields(customer_email())).status_code == 200
        assert counts() == {
            "emails": 1,
            "threads": 1,
            "contacts": 1,
            "points": 1,
            "attachments": 2,
        }
