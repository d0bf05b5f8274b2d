"""MMS both ways: media sent with POST /api/send_message reach Twilio as public URLs of
Hatch's own, and an inbound MMS's media are downloaded from Twilio into Hatch's storage.

Files are posted as browsers post them (multipart, a boundary of the browser's kind) or as
base64 in JSON; the real twilio SDK talks to the local imitation of Twilio
(testing.fake_providers), whose media URLs ask for HTTP Basic and redirect to another host,
as Twilio's do.
"""

import base64
import time
from datetime import timedelta
from io import StringIO
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from attachments.models import Attachment
from attachments.services import MMS_POLICY
from attachments.tests import samples
from attachments.tests.samples import body_of, encoded, post_form, upload
from consent.models import Suppression
from idempotency.models import IdempotencyKey
from messaging import services
from messaging.delivery import sms_outbox
from messaging.events import InboundMessage
from messaging.models import Conversation, MediaStatus, Message
from messaging.providers.twilio import TwilioSmsProvider
from messaging.tasks import download_message_media
from messaging.tests.twilio_payloads import INBOUND_PATH, inbound_sms, post_signed
from testing.fake_providers import Reply

pytestmark = pytest.mark.django_db

TO = "+14155552671"
SEND = "/api/send_message"
DOWNLOAD_TASK = "messaging.tasks.download_message_media"
HEIC_REFUSAL = (
    f"photo.heic is an image/heic file; an MMS can carry {MMS_POLICY.allowed_description}."
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its files in a folder of its own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def signed_in(user):
    """A signed-in person's browser, as the inbox is."""
    client = Client()
    client.force_login(user)
    return client


def nothing_stored() -> bool:
    return not Message.objects.exists() and not Attachment.objects.exists()


class TestSendingMedia:
    def test_files_from_a_multipart_form_are_stored_with_the_sms_in_order(
        self, api_client, signed_in, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_form(
                api_client,
                SEND,
                {
                    "to": "(415) 555-2671",
                    "body": "Your table, and the menu",
                    "media": [
                        upload("table 4.png", samples.png()),
                        upload("menu.pdf", samples.PDF),
                    ],
                },
            )

        assert response.status_code == 200, response.content
        answer = response.json()
        message = Message.objects.get()
        assert answer["status"] == "queued"
        assert message.num_media == 2
        assert message.body == "Your table, and the menu"
        files = answer["message"]["attachments"]
        assert [(f["filename"], f["content_type"]) for f in files] == [
            ("table 4.png", "image/png"),
            ("menu.pdf", "application/pdf"),
        ]
        assert [f["size"] for f in files] == [len(samples.png()), len(samples.PDF)]
        assert files[0]["url"] == f"/files/{files[0]['id']}/table%204.png"
        assert body_of(signed_in.get(files[0]["url"])) == samples.png()
        assert body_of(signed_in.get(files[1]["url"])) == samples.PDF
        assert enqueued_tasks() == [("messaging.tasks.send_message", [str(message.id)])]

    def test_files_as_base64_in_json_are_stored_alike(self, api_client, signed_in):
        response = api_client.post(
            SEND,
            {"to": TO, "body": "Here", "media": [encoded("receipt.jpg", samples.JPEG)]},
            format="json",
        )

        assert response.status_code == 200, response.content
        (attachment,) = response.json()["message"]["attachments"]
        assert attachment["content_type"] == "image/jpeg"
        assert body_of(signed_in.get(attachment["url"])) == samples.JPEG

    def test_a_message_of_media_alone_has_an_empty_body_and_a_preview(self, api_client):
        form = post_form(api_client, SEND, {"to": TO, "media": [upload("a.png", samples.png())]})
        json_ = api_client.post(
            SEND, {"to": TO, "body": "", "media": [encoded("b.gif", samples.GIF)]}, format="json"
        )

        assert (form.status_code, json_.status_code) == (200, 200), form.content
        assert [message.body for message in Message.objects.all()] == ["", ""]
        assert Conversation.objects.get().last_message_preview == "(media message)"

    @pytest.mark.parametrize("payload", [{"to": TO}, {"to": TO, "body": "  "}])
    def test_an_empty_body_without_media_is_a_400(self, api_client, payload):
        response = api_client.post(SEND, payload, format="json")

        assert response.status_code == 400
        assert "body" in response.json()["fields"]
        assert nothing_stored()

    def test_eleven_files_are_a_400_and_nothing_is_stored(self, api_client):
        files = [upload(f"photo{n}.png", samples.png()) for n in range(11)]

        response = post_form(api_client, SEND, {"to": TO, "body": "All of them", "media": files})

        assert response.status_code == 400
        assert response.json()["error"] == "An MMS can carry at most 10 files; 11 were attached."
        assert nothing_stored()

    def test_one_byte_over_5_mb_in_all_is_a_413_and_nothing_is_stored(self, api_client):
        files = [
            upload("first.png", samples.png_of_size(3_000_000)),
            upload("second.png", samples.png_of_size(2_000_001)),
        ]

        response = post_form(api_client, SEND, {"to": TO, "body": "Photos", "media": files})

        assert response.status_code == 413
        assert response.json()["error"] == (
            "The files come to 5,000,001 bytes; an MMS can carry at most 5 MB (5,000,000 "
            "bytes) in all. Send fewer or smaller files."
        )
        assert nothing_stored()

    def test_exactly_5_mb_in_all_is_accepted(self, api_client):
        files = [
            upload("first.png", samples.png_of_size(3_000_000)),
            upload("second.png", samples.png_of_size(2_000_000)),
        ]

        response = post_form(api_client, SEND, {"to": TO, "media": files})

        assert response.status_code == 200
        assert Attachment.objects.count() == 2

    def test_an_iphone_heic_photo_is_a_400_saying_what_an_mms_can_carry(self, api_client):
        response = post_form(
            api_client,
            SEND,
            {"to": TO, "media": [upload("photo.heic", samples.HEIC, "image/heic")]},
        )

        assert response.status_code == 400
        assert response.json()["error"] == HEIC_REFUSAL
        assert nothing_stored()

    def test_a_program_named_like_a_photo_is_refused_whatever_its_declared_type(self, api_client):
        form = post_form(api_client, SEND, {"to": TO, "media": [upload("photo.png", samples.EXE)]})
        json_ = api_client.post(
            SEND, {"to": TO, "media": [encoded("photo.png", samples.EXE)]}, format="json"
        )

        for response in (form, json_):
            assert response.status_code == 400
            assert response.json()["error"].startswith(
                "photo.png is an application/x-msdownload file; an MMS can carry"
            )
        assert nothing_stored()

    def test_one_refused_file_among_good_ones_stores_none_of_them(self, api_client):
        files = [upload("good.png", samples.png()), upload("photo.heic", samples.HEIC)]

        response = post_form(api_client, SEND, {"to": TO, "body": "Two", "media": files})

        assert response.status_code == 400
        assert nothing_stored()

    def test_content_that_is_not_base64_is_a_400_naming_the_file(self, api_client):
        broken = {"filename": "receipt.jpg", "content_type": "image/jpeg", "content": "@@not*"}

        response = api_client.post(SEND, {"to": TO, "media": [broken]}, format="json")

        assert response.status_code == 400
        assert response.json()["fields"] == {
            "media": ["receipt.jpg: 'content' is not valid base64."]
        }
        assert nothing_stored()

    @pytest.mark.parametrize(
        "media",
        [
            "a string",
            [{"filename": "a.png"}],
            [{"content": base64.b64encode(samples.png()).decode()}],
            [{"filename": "a.png", "content": 12}],
        ],
    )
    def test_malformed_json_media_are_a_400(self, api_client, media):
        response = api_client.post(SEND, {"to": TO, "media": media}, format="json")

        assert response.status_code == 400
        assert "media" in response.json()["fields"]
        assert nothing_stored()

    def test_an_empty_file_or_text_in_the_media_field_is_a_400(self, api_client):
        empty = post_form(api_client, SEND, {"to": TO, "media": [upload("empty.png", b"")]})
        text = post_form(api_client, SEND, {"to": TO, "media": "not a file"})

        for response in (empty, text):
            assert response.status_code == 400
            assert "media" in response.json()["fields"]
        assert nothing_stored()

    def test_a_recipient_who_opted_out_gets_no_mms_and_no_file_is_kept(self, api_client):
        Suppression.objects.create(address=TO, channel="sms", reason="stop")

        response = post_form(
            api_client, SEND, {"to": TO, "media": [upload("a.png", samples.png())]}
        )

        assert response.status_code == 409
        assert nothing_stored()

    def test_an_internal_message_carries_files_too_and_is_never_sent(
        self, api_client, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_form(
                api_client, SEND, {"to": "Front desk", "media": [upload("plan.png", samples.png())]}
            )

        assert response.status_code == 200, response.content
        assert response.json()["method"] == "database"
        assert response.json()["message"]["status"] == "delivered"
        assert len(response.json()["message"]["attachments"]) == 1
        assert enqueued_tasks() == []

    def test_an_internal_message_refuses_what_an_mms_refuses(self, api_client):
        response = post_form(
            api_client, SEND, {"to": "Front desk", "media": [upload("photo.heic", samples.HEIC)]}
        )

        assert response.status_code == 400
        assert response.json()["error"].startswith(
            "photo.heic is an image/heic file; an internal message can carry JPEG"
        )

    def test_a_multipart_send_repeated_with_its_idempotency_key_is_answered_not_resent(
        self, api_client, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        def send():
            # A new boundary each time, as a signed_in's retry makes.
            return post_form(
                api_client,
                SEND,
                {"to": TO, "body": "Once", "media": [upload("a.png", samples.png())]},
                headers={"Idempotency-Key": "mms-1"},
            )

        with django_capture_on_commit_callbacks(execute=True):
            first = send()
        with django_capture_on_commit_callbacks(execute=True):
            again = send()

        assert (first.status_code, again.status_code) == (200, 200), first.content
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"
        assert Message.objects.count() == 1
        assert Attachment.objects.count() == 1
        assert len(enqueued_tasks()) == 1

    def test_the_same_key_with_another_file_is_a_422(self, api_client):
        key = {"Idempotency-Key": "mms-2"}
        first = post_form(
            api_client, SEND, {"to": TO, "media": [upload("a.png", samples.png())]}, headers=key
        )

        other = post_form(
            api_client, SEND, {"to": TO, "media": [upload("a.png", samples.GIF)]}, headers=key
        )

        assert first.status_code == 200
        assert other.status_code == 422
        assert Message.objects.count() == 1
        assert IdempotencyKey.objects.count() == 1

    def test_the_inbox_hears_of_the_new_message_with_its_files(self, api_client, monkeypatch):
        events = []
        monkeypatch.setattr("messaging.live.publish_on_commit", events.append)

        post_form(api_client, SEND, {"to": TO, "media": [upload("a.png", samples.png())]})

        (event,) = [build() for build in events]
        assert event["type"] == "message.created"
        (attachment,) = event["message"]["attachments"]
        assert attachment["url"].startswith("/files/")

    def test_a_thread_with_media_costs_one_query_more_at_any_page_size(
        self, api_client, django_assert_num_queries
    ):
        for number in range(3):
            services.message_send(to=TO, body=f"plain {number}")
            services.message_send(to=TO, body="", media=[(f"p{number}.png", samples.png(), None)])
        conversation = Conversation.objects.get()

        for size in (1, 1000):
            with django_assert_num_queries(3):  # token, the page, its messages' files
                response = api_client.get(
                    f"/api/conversation/{conversation.id}/messages?page_size={size}"
                )
            assert response.status_code == 200
        messages = response.json()["messages"]
        assert [len(m["attachments"]) for m in messages] == [0, 1] * 3
        assert [m["attachments"][0]["filename"] for m in messages[1::2]] == [
            "p0.png",
            "p1.png",
            "p2.png",
        ]


# Deliveries and downloads refuse to run inside a transaction.
@pytest.mark.django_db(transaction=True)
class TestMmsReachesTwilio:
    def test_a_png_reaches_twilio_as_a_public_url_serving_its_bytes_until_it_expires(
        self, fake_providers, settings
    ):
        message = services.message_send(
            to=TO, body="Your table", media=[("table 4.png", samples.png(), "image/png")]
        )
        signed_at = time.time()

        assert sms_outbox.deliver(str(message.id)) == "sent"

        [[media_url]] = fake_providers.twilio_sent_media_urls()
        assert media_url.startswith(f"{settings.PUBLIC_BASE_URL}/media/")
        assert media_url.endswith("/table%204.png")
        assert fake_providers.twilio_messages()[0].form["Body"] == ["Your table"]
        path = urlsplit(media_url).path
        anonymous = Client()  # Twilio signs in nowhere
        response = anonymous.get(path)
        assert response.status_code == 200
        assert body_of(response) == samples.png()
        assert response["Content-Type"] == "image/png"
        assert anonymous.head(path)["Content-Length"] == str(len(samples.png()))
        max_age = settings.ATTACHMENT_PUBLIC_URL_MAX_AGE
        with mock.patch("time.time", return_value=signed_at + max_age + 2):
            assert anonymous.get(path).status_code == 404

    def test_each_attempt_gives_twilio_a_freshly_signed_url(self, fake_providers, settings):
        message = services.message_send(to=TO, body="Hi", media=[("a.png", samples.png(), None)])
        fake_providers.script("twilio", Reply.twilio_error(500, 20500, "Internal Server Error"))
        assert sms_outbox.deliver(str(message.id)) == "queued"
        Message.objects.filter(id=message.id).update(next_attempt_at=timezone.now())
        later = time.time() + 3600

        with mock.patch("time.time", return_value=later):
            assert sms_outbox.deliver(str(message.id)) == "sent"

        first, second = (r.form["MediaUrl"][0] for r in fake_providers.requests)
        assert first != second
        # Made at the second attempt: it still opens the file a day after the first.
        with mock.patch(
            "time.time", return_value=later + settings.ATTACHMENT_PUBLIC_URL_MAX_AGE - 5
        ):
            assert Client().get(urlsplit(second).path).status_code == 200
            assert Client().get(urlsplit(first).path).status_code == 404

    def test_an_mms_of_media_alone_is_sent_without_a_body(self, fake_providers):
        files = [(f"p{n}.png", samples.png(), None) for n in range(3)]
        message = services.message_send(to=TO, body="", media=files)

        assert sms_outbox.deliver(str(message.id)) == "sent"

        (request,) = fake_providers.twilio_messages()
        assert "Body" not in request.form
        urls = request.form["MediaUrl"]
        assert [urlsplit(url).path.rsplit("/", 1)[1] for url in urls] == [
            "p0.png",
            "p1.png",
            "p2.png",
        ]
        assert [body_of(Client().get(urlsplit(url).path)) for url in urls] == [samples.png()] * 3

    def test_a_plain_sms_carries_no_media_url(self, fake_providers):
        message = services.message_send(to=TO, body="Text only")

        sms_outbox.deliver(str(message.id))

        assert "MediaUrl" not in fake_providers.twilio_messages()[0].form


def receive_mms(client, media_urls: list[str], content_types: list[str], body: str = ""):
    params = inbound_sms(body=body, NumMedia=str(len(media_urls)))
    for index, (url, content_type) in enumerate(zip(media_urls, content_types, strict=True)):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = content_type
    response = post_signed(client, INBOUND_PATH, params)
    assert response.status_code == 200
    return Message.objects.get(provider_message_id=params["MessageSid"])


def make_due(message: Message) -> None:
    Message.objects.filter(id=message.id).update(next_attempt_at=timezone.now())


def run_download(message: Message) -> str:
    return download_message_media.call(str(message.id))


class TestInboundMmsIsQueuedForDownload:
    def test_the_download_is_enqueued_once_the_message_is_stored(
        self, client, enqueued_tasks, django_capture_on_commit_callbacks, api_client
    ):
        url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
        with django_capture_on_commit_callbacks(execute=True):
            message = receive_mms(client, [url], ["image/jpeg"])

        assert enqueued_tasks() == [(DOWNLOAD_TASK, [str(message.id)])]
        assert message.media_status == MediaStatus.PENDING
        answer = api_client.get(f"/api/messages/{message.id}").json()
        assert answer["media"] == [{"url": url, "content_type": "image/jpeg"}]
        assert answer["media_status"] == "pending"
        assert answer["attachments"] == []

    def test_an_sms_without_media_enqueues_no_download(
        self, client, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post_signed(client, INBOUND_PATH, inbound_sms(body="Hi"))

        assert enqueued_tasks() == []
        assert Message.objects.get().media_status == MediaStatus.NONE

    def test_a_retried_webhook_enqueues_nothing_more(
        self, client, enqueued_tasks, django_capture_on_commit_callbacks
    ):
        params = inbound_sms(body="", NumMedia="1", MediaUrl0="https://api.twilio.com/m/1")
        with django_capture_on_commit_callbacks(execute=True):
            post_signed(client, INBOUND_PATH, params)
            post_signed(client, INBOUND_PATH, params)

        assert len(enqueued_tasks()) == 1


@pytest.mark.django_db(transaction=True)
class TestInboundMmsIsDownloaded:
    def test_media_come_through_twilios_auth_and_redirect_and_are_served_at_files(
        self, client, fake_providers, signed_in, api_client, enqueued_tasks
    ):
        photo = samples.png()
        media_url = fake_providers.add_twilio_media(photo, "image/png")
        message = receive_mms(client, [media_url], ["image/png"], body="The damage")

        assert run_download(message) == "downloaded"

        asked, redirected = fake_providers.twilio_media_requests()
        assert asked.basic_auth == (fake_providers.account_sid, fake_providers.auth_token)
        assert asked.status == 307
        # Twilio's storage is another host: the credentials never reach it.
        assert redirected.header("Host") == f"localhost:{fake_providers.port}"
        assert redirected.header("Authorization") is None
        message.refresh_from_db()
        assert message.media_status == MediaStatus.DOWNLOADED
        (attachment,) = message.attachments.all()
        assert attachment.content_type == "image/png"
        answer = api_client.get(f"/api/messages/{message.id}").json()
        (listed,) = answer["attachments"]
        assert listed["url"] == f"/files/{attachment.id}/{attachment.filename}"
        assert answer["media_status"] == "downloaded"
        assert answer["media"][0]["url"] == media_url  # the seed's key, as Twilio sent it
        served = signed_in.get(listed["url"])
        assert served.status_code == 200
        assert body_of(served) == photo
        assert served["Content-Type"] == "image/png"
        assert Client().get(listed["url"]).status_code == 302  # to the sign-in page
        assert enqueued_tasks() == [(DOWNLOAD_TASK, [str(message.id)])]  # no retry

    def test_the_saved_copy_outlives_twilios(self, client, fake_providers, signed_in, api_client):
        media_url = fake_providers.add_twilio_media(samples.JPEG, "image/jpeg")
        message = receive_mms(client, [media_url], ["image/jpeg"])
        run_download(message)

        fake_providers.delete_twilio_media(media_url)

        (listed,) = api_client.get(f"/api/messages/{message.id}").json()["attachments"]
        assert body_of(signed_in.get(listed["url"])) == samples.JPEG

    def test_every_item_is_kept_in_twilios_order(self, client, fake_providers, api_client):
        items = [
            (samples.png(), "image/png"),
            (samples.GIF, "image/gif"),
            (samples.PDF, "application/pdf"),
        ]
        urls = [fake_providers.add_twilio_media(content, kind) for content, kind in items]
        message = receive_mms(client, urls, [kind for _, kind in items])

        run_download(message)

        listed = api_client.get(f"/api/messages/{message.id}").json()["attachments"]
        assert [item["content_type"] for item in listed] == [kind for _, kind in items]
        assert listed[0]["filename"].endswith(".png")  # Twilio's URL ends with the Media SID

    def test_a_media_url_twilio_no_longer_has_is_recorded_and_not_retried(
        self, client, fake_providers, enqueued_tasks
    ):
        kept = fake_providers.add_twilio_media(samples.png(), "image/png")
        gone = fake_providers.add_twilio_media(samples.GIF, "image/gif")
        fake_providers.delete_twilio_media(gone)
        message = receive_mms(client, [kept, gone], ["image/png", "image/gif"])

        assert run_download(message) == "failed"

        message.refresh_from_db()
        assert message.media_status == MediaStatus.FAILED
        assert message.error_message.startswith("Media 2: Could not download ")
        assert "404" in message.error_message
        assert [link.position for link in message.attachment_links.all()] == [0]
        assert enqueued_tasks() == [(DOWNLOAD_TASK, [str(message.id)])]  # no retry
        assert run_download(message) == "skipped"

    def test_a_failing_download_is_retried_with_a_backoff_then_given_up(
        self, client, fake_providers, enqueued_tasks
    ):
        fake_providers.set_mode("twilio_media", Reply(status=503, body="Service Unavailable"))
        message = receive_mms(
            client, [fake_providers.add_twilio_media(samples.png(), "image/png")], ["image/png"]
        )

        outcomes = []
        for attempt in range(1, services.MEDIA_DOWNLOAD_MAX_ATTEMPTS + 1):
            before = timezone.now()
            outcomes.append(run_download(message))
            message.refresh_from_db()
            assert message.attempt_count == attempt
            if outcomes[-1] == "retry":
                assert message.next_attempt_at > before
                # Not due yet: a second task for it does nothing.
                assert run_download(message) == "skipped"
                make_due(message)

        assert outcomes == ["retry"] * (services.MEDIA_DOWNLOAD_MAX_ATTEMPTS - 1) + ["failed"]
        assert message.media_status == MediaStatus.FAILED
        assert "503" in message.error_message
        # The first download, when the webhook's write committed, then each retry.
        assert [name for name, _ in enqueued_tasks()] == [DOWNLOAD_TASK] * (
            services.MEDIA_DOWNLOAD_MAX_ATTEMPTS
        )

    def test_a_retry_fetches_only_what_is_still_missing(self, client, fake_providers):
        urls = [fake_providers.add_twilio_media(samples.png(), "image/png") for _ in range(2)]
        message = receive_mms(client, urls, ["image/png"] * 2)
        fake_providers.script("twilio_media", Reply(delay=0), Reply(status=500, body="oops"))

        assert run_download(message) == "retry"
        make_due(message)
        fake_providers.clear()
        assert run_download(message) == "downloaded"

        asked = [r.path for r in fake_providers.twilio_media_requests() if r.basic_auth]
        assert asked == [urlsplit(urls[1]).path]
        assert message.attachments.count() == 2

    def test_a_program_sent_by_mms_is_not_kept_and_the_rest_is(self, client, fake_providers):
        urls = [
            fake_providers.add_twilio_media(samples.EXE, "application/octet-stream"),
            fake_providers.add_twilio_media(samples.HEIC, "image/heic"),
        ]
        message = receive_mms(client, urls, ["application/octet-stream", "image/heic"])

        assert run_download(message) == "failed"

        message.refresh_from_db()
        assert "application/x-msdownload" in message.error_message
        # What Hatch could not send, a person's phone may: a HEIC photo received is kept.
        (kept,) = message.attachments.all()
        assert kept.content_type == "image/heic"

    def test_media_past_5_mb_in_all_keep_what_fits(self, client, fake_providers):
        urls = [
            fake_providers.add_twilio_media(samples.png_of_size(3_000_000), "image/png")
            for _ in range(2)
        ]
        message = receive_mms(client, urls, ["image/png"] * 2)

        assert run_download(message) == "failed"

        message.refresh_from_db()
        assert message.attachments.count() == 1
        assert "Media 2: not kept" in message.error_message

    def test_the_inbox_hears_when_the_media_are_in(self, client, fake_providers, monkeypatch):
        message = receive_mms(
            client, [fake_providers.add_twilio_media(samples.png(), "image/png")], ["image/png"]
        )
        events = []
        monkeypatch.setattr("messaging.live.publish_on_commit", events.append)

        run_download(message)

        (event,) = [build() for build in events]
        assert event["type"] == "message.updated"
        assert event["message"]["media_status"] == "downloaded"
        assert event["message"]["attachments"][0]["url"].startswith("/files/")


def test_twilios_credentials_go_to_twilios_hosts_only(settings):
    provider = TwilioSmsProvider.from_settings()
    credentials = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)

    assert (
        provider.media_auth("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1")
        == credentials
    )
    assert provider.media_auth("https://twilio.example.com/api.twilio.com/x") is None
    assert provider.media_auth("https://api.twilio.com.example.com/x") is None


class TestLostDownloads:
    # What the sweep enqueues is checked exactly: the reports' refresh is not due.
    @pytest.mark.usefixtures("reports_counted")
    def test_the_sweeper_enqueues_again_a_download_a_crash_lost(self, settings, enqueued_tasks):
        overdue = timezone.now() - timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS + 5)
        lost = services.message_receive(event=_mms_event("MM" + "1" * 32))[0]
        waiting = services.message_receive(event=_mms_event("MM" + "2" * 32))[0]
        Message.objects.filter(id=lost.id).update(next_attempt_at=overdue)
        out = StringIO()

        call_command("sweep_outbox", stdout=out)

        assert enqueued_tasks() == [(DOWNLOAD_TASK, [str(lost.id)])]
        assert "MMS media downloads: 1 lost enqueued again." in out.getvalue()
        waiting.refresh_from_db()
        assert waiting.media_status == MediaStatus.PENDING

    def test_a_download_in_progress_is_not_taken_for_lost(self, enqueued_tasks):
        message = services.message_receive(event=_mms_event("MM" + "3" * 32))[0]
        Message.objects.filter(id=message.id).update(
            next_attempt_at=timezone.now() + timedelta(minutes=9)  # a worker's lease
        )

        assert services.message_media_sweep() == 0


def _mms_event(sid: str) -> InboundMessage:
    return InboundMessage(
        from_contact=TO,
        to_contact="+15005550006",
        body="",
        provider_message_id=sid,
        media=[{"url": "https://api.twilio.com/m/" + sid, "content_type": "image/png"}],
    )
