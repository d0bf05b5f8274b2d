"""Email attachments both ways: files sent with POST /api/send_email reach SendGrid as its
``attachments``, and the files of a received email are kept with it.

Files are posted as browsers post them (multipart, with the browser's kind of boundary) or as
base64 in JSON; the real sendgrid SDK talks to the local imitation of SendGrid
(testing.fake_providers), which records what it received.
"""

import base64
import json

import pytest
from django.test import Client

from attachments.models import Attachment
from attachments.services import EMAIL_POLICY
from attachments.tests import samples
from attachments.tests.samples import body_of, encoded, post_form, upload
from consent.models import Suppression
from conversations.models import Conversation
from emails import services
from emails.delivery import email_outbox
from emails.models import Email
from emails.tests.inbound_posts import default_fields, post_inbound

pytestmark = pytest.mark.django_db

SEND = "/api/send_email"
TO = "ada@example.com"
FIELDS = {"to_email": TO, "subject": "Your order", "body": "The invoice is attached."}
SHELL_SCRIPT = b"#!/bin/sh\nrm -rf ~\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its files in a folder of its own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def nothing_stored() -> bool:
    return not (
        Email.objects.exists() or Attachment.objects.exists() or Conversation.objects.exists()
    )


class TestSendingFiles:
    def test_files_from_a_multipart_form_are_stored_with_the_email_in_order(
        self, api_client, signed_in, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        files = [
            upload("Invoice 12.pdf", samples.PDF, "application/pdf"),
            upload("logo.png", samples.png(), "image/png"),
        ]
        with django_capture_on_commit_callbacks(execute=True):
            response = post_form(api_client, SEND, {**FIELDS, "attachments": files})

        assert response.status_code == 200, response.content
        email = Email.objects.get()
        listed = response.json()["email"]["attachments"]
        assert [(a["filename"], a["content_type"], a["size"]) for a in listed] == [
            ("Invoice 12.pdf", "application/pdf", len(samples.PDF)),
            ("logo.png", "image/png", len(samples.png())),
        ]
        assert set(listed[0]) == {"id", "filename", "content_type", "size", "url"}
        assert listed[0]["url"] == f"/files/{listed[0]['id']}/Invoice%2012.pdf"
        assert body_of(signed_in.get(listed[0]["url"])) == samples.PDF
        assert email.attachment_count == 2
        assert enqueued_tasks() == [("emails.tasks.send_email", [str(email.id)])]
        # The list and the detail show them alike.
        assert api_client.get("/api/emails").json()["emails"][0]["attachments"] == listed
        assert api_client.get(f"/api/emails/{email.id}").json()["attachments"] == listed

    def test_a_form_takes_cc_as_one_comma_separated_value_or_repeated(self, api_client):
        one = post_form(
            api_client,
            SEND,
            {
                **FIELDS,
                "cc": "ops@example.com, boss@example.com",
                "attachments": [upload("a.pdf", samples.PDF)],
            },
        )
        repeated = post_form(
            api_client,
            SEND,
            {
                **FIELDS,
                "cc": ["ops@example.com", "boss@example.com"],
                "attachments": [upload("a.pdf", samples.PDF)],
            },
        )

        assert (one.status_code, repeated.status_code) == (200, 200), one.content
        assert [email.cc for email in Email.objects.all()] == [
            ["ops@example.com", "boss@example.com"]
        ] * 2

    def test_a_form_without_files_sends_like_json(self, api_client):
        response = post_form(api_client, SEND, FIELDS)

        assert response.status_code == 200, response.content
        assert response.json()["email"]["attachments"] == []

    def test_files_as_base64_in_json_are_stored_alike(self, api_client, signed_in):
        response = api_client.post(
            SEND, {**FIELDS, "attachments": [encoded("Invoice.pdf", samples.PDF)]}, format="json"
        )

        assert response.status_code == 200, response.content
        (listed,) = response.json()["email"]["attachments"]
        assert body_of(signed_in.get(listed["url"])) == samples.PDF

    def test_files_past_20_mb_in_all_are_a_413_and_nothing_is_stored(self, api_client):
        files = [
            upload("scan 1.png", samples.png_of_size(10_000_000), "image/png"),
            upload("scan 2.png", samples.png_of_size(10_000_001), "image/png"),
        ]

        response = post_form(api_client, SEND, {**FIELDS, "attachments": files})

        assert response.status_code == 413
        assert response.json()["error"] == (
            "The files come to 20,000,001 bytes; an email can carry at most 20 MB "
            "(20,000,000 bytes) in all. Send fewer or smaller files."
        )
        assert nothing_stored()

    def test_eleven_files_are_a_400_and_nothing_is_stored(self, api_client):
        files = [upload(f"page {n}.pdf", samples.PDF) for n in range(11)]

        response = post_form(api_client, SEND, {**FIELDS, "attachments": files})

        assert response.status_code == 400
        assert response.json()["error"] == "An email can carry at most 10 files; 11 were attached."
        assert nothing_stored()

    @pytest.mark.parametrize(
        ("name", "content", "detected"),
        [
            ("photo.png", samples.EXE, "application/x-msdownload"),
            ("notes.txt", SHELL_SCRIPT, "application/x-sh"),
        ],
    )
    def test_a_program_is_refused_whatever_its_name_and_nothing_is_stored(
        self, api_client, name, content, detected
    ):
        form = post_form(
            api_client, SEND, {**FIELDS, "attachments": [upload(name, content, "image/png")]}
        )
        json_ = api_client.post(
            SEND, {**FIELDS, "attachments": [encoded(name, content, "image/png")]}, format="json"
        )

        for response in (form, json_):
            assert response.status_code == 400
            assert response.json()["error"] == (
                f"{name} is an {detected} file; an email can carry "
                f"{EMAIL_POLICY.allowed_description}."
            )
        assert nothing_stored()

    def test_a_photo_an_mms_could_not_carry_goes_by_email(self, api_client):
        response = post_form(
            api_client, SEND, {**FIELDS, "attachments": [upload("photo.heic", samples.HEIC)]}
        )

        assert response.status_code == 200, response.content
        assert response.json()["email"]["attachments"][0]["content_type"] == "image/heic"

    def test_content_that_is_not_base64_is_a_400_naming_the_file(self, api_client):
        broken = {"filename": "Invoice.pdf", "content": "JVBERi0x!!"}

        response = api_client.post(SEND, {**FIELDS, "attachments": [broken]}, format="json")

        assert response.status_code == 400
        assert response.json()["fields"] == {
            "attachments": ["Invoice.pdf: 'content' is not valid base64."]
        }
        assert nothing_stored()

    def test_a_suppressed_recipient_gets_no_email_and_no_file_is_kept(self, api_client):
        Suppression.objects.create(address=TO, channel="email", reason="bounce")

        response = post_form(
            api_client, SEND, {**FIELDS, "attachments": [upload("a.pdf", samples.PDF)]}
        )

        assert response.status_code == 409
        assert nothing_stored()

    def test_a_multipart_send_repeated_with_its_idempotency_key_is_answered_not_resent(
        self, api_client, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        def send():
            # A new boundary each time, as a browser's retry makes.
            return post_form(
                api_client,
                SEND,
                {**FIELDS, "attachments": [upload("Invoice.pdf", samples.PDF)]},
                headers={"Idempotency-Key": "email-with-files-1"},
            )

        with django_capture_on_commit_callbacks(execute=True):
            first = send()
        with django_capture_on_commit_callbacks(execute=True):
            again = send()

        assert (first.status_code, again.status_code) == (200, 200), first.content
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
        assert Email.objects.count() == 1
        assert Attachment.objects.count() == 1
        assert len(enqueued_tasks()) == 1

    def test_the_same_key_with_another_file_is_a_422(self, api_client):
        key = {"Idempotency-Key": "email-with-files-2"}
        post_form(
            api_client, SEND, {**FIELDS, "attachments": [upload("a.pdf", samples.PDF)]}, headers=key
        )

        other = post_form(
            api_client, SEND, {**FIELDS, "attachments": [upload("a.pdf", samples.GIF)]}, headers=key
        )

        assert other.status_code == 422
        assert Email.objects.count() == 1

    def test_a_list_with_files_costs_one_query_more_at_any_page_size(
        self, api_client, django_assert_num_queries
    ):
        for number in range(3):
            services.email_send(to_email=TO, subject=f"Plain {number}", body="Hi")
            services.email_send(
                to_email=TO,
                subject=f"With a file {number}",
                body="Attached",
                attachments=[(f"f{number}.pdf", samples.PDF, None)],
            )

        for size in (1, 1000):
            with django_assert_num_queries(3):  # token, the page, its emails' files
                response = api_client.get(f"/api/emails?page_size={size}")
            assert response.status_code == 200
        listed = response.json()["emails"]
        assert [len(email["attachments"]) for email in listed] == [1, 0] * 3


# A delivery refuses to run inside a transaction.
@pytest.mark.django_db(transaction=True)
class TestSendGridGetsTheFiles:
    def test_each_file_reaches_sendgrid_as_an_attachment_with_its_bytes(self, fake_providers):
        email = services.email_send(
            **FIELDS,
            attachments=[
                ("Invoice 12.pdf", samples.PDF, "application/pdf"),
                ("logo.png", samples.png(), "image/png"),
            ],
        )

        assert email_outbox.deliver(str(email.id)) == "sent"

        (mail,) = fake_providers.sendgrid_mails()
        assert mail.mail_attachments() == [
            {
                "content": samples.PDF,
                "filename": "Invoice 12.pdf",
                "type": "application/pdf",
                "disposition": "attachment",
            },
            {
                "content": samples.png(),
                "filename": "logo.png",
                "type": "image/png",
                "disposition": "attachment",
            },
        ]
        # On the wire, as SendGrid's v3 API takes them: standard base64.
        wire = json.loads(mail.body)["attachments"][0]["content"]
        assert wire == base64.b64encode(samples.PDF).decode()

    def test_an_email_without_files_carries_no_attachments_key(self, fake_providers):
        email = services.email_send(**FIELDS)

        email_outbox.deliver(str(email.id))

        assert "attachments" not in fake_providers.sendgrid_mails()[0].json


@pytest.mark.usefixtures("inbound_credentials")
class TestReceivedFiles:
    def test_a_received_emails_files_are_listed_with_hatchs_urls(
        self, client, api_client, signed_in
    ):
        files = {"attachment1": ("Scan 1.pdf", samples.PDF, "application/pdf")}

        post_inbound(client, default_fields(attachments="1"), files)

        email = Email.objects.get()
        (listed,) = api_client.get(f"/api/emails/{email.id}").json()["attachments"]
        assert listed["filename"] == "Scan 1.pdf"
        assert listed["url"].startswith("/files/")
        assert body_of(signed_in.get(listed["url"])) == samples.PDF

    def test_a_refused_file_is_listed_with_its_reason(self, client, api_client):
        files = {"attachment1": ("invoice.pdf.exe", samples.EXE, "application/pdf")}

        post_inbound(client, default_fields(attachments="1"), files)

        answer = api_client.get("/api/emails").json()["emails"][0]
        assert answer["attachments"] == []
        (refused,) = answer["refused_attachments"]
        assert refused["filename"] == "invoice.pdf.exe"
        assert refused["reason"].startswith("invoice.pdf.exe is an application/x-msdownload file")
