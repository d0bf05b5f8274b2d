"""Twilio's webhooks: inbound SMS/MMS, opt-out keywords and outbound status callbacks.

Every request is form-encoded and signed with twilio-python's RequestValidator over
PUBLIC_BASE_URL + path, exactly as Twilio signs what it sends.
"""

import itertools
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from consent.models import Suppression
from core.contacts import conversation_id_for
from messaging import services
from messaging.models import Conversation, Direction, Message, MessageEvent, MessageStatus
from messaging.tests.twilio_payloads import (
    CUSTOMER,
    HATCH_NUMBER,
    INBOUND_PATH,
    STATUS_PATH,
    inbound_mms,
    inbound_sms,
    message_sid,
    post_form,
    post_signed,
    signature,
    status_callback,
)

pytestmark = pytest.mark.django_db

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def receive(client, **kwargs):
    return post_signed(client, INBOUND_PATH, inbound_sms(**kwargs))


def send_api(api_client, to=CUSTOMER, body="Your table is ready"):
    return api_client.post("/api/send_message", {"to": to, "body": body}, format="json")


class TestInboundSms:
    def test_an_inbound_sms_is_acknowledged_with_empty_twiml(self, client):
        response = receive(client)

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/xml")
        assert response.content == EMPTY_TWIML

    def test_an_inbound_sms_is_stored_as_a_received_message_in_its_conversation(self, client):
        params = inbound_sms(body="Is my order ready?")

        post_signed(client, INBOUND_PATH, params)

        message = Message.objects.get()
        assert message.direction == Direction.INBOUND
        assert message.status == MessageStatus.RECEIVED
        assert message.from_contact == CUSTOMER
        assert message.to_contact == HATCH_NUMBER
        assert message.body == "Is my order ready?"
        assert message.provider_message_id == params["MessageSid"]
        assert message.channel == "sms"
        assert message.num_media == 0
        assert message.media == []
        assert message.conversation_id == conversation_id_for(CUSTOMER, HATCH_NUMBER)
        conversation = Conversation.objects.get()
        assert conversation.message_count == 1
        assert conversation.last_message_preview == "Is my order ready?"
        assert conversation.reply_to == CUSTOMER
        assert conversation.own_contact == HATCH_NUMBER
        assert conversation.channel == "sms"

    def test_a_reply_joins_the_conversation_hatch_started_and_updates_its_summary(self, client):
        outbound = services.message_send(to=CUSTOMER, body="Your table is ready")

        receive(client, body="On   my\nway!")

        inbound = Message.objects.get(direction=Direction.INBOUND)
        assert inbound.conversation_id == outbound.conversation_id
        conversation = Conversation.objects.get()
        assert conversation.message_count == 2
        assert conversation.last_message_preview == "On my way!"
        assert conversation.reply_to == CUSTOMER
        assert conversation.last_message_at == inbound.created_at

    def test_the_same_message_sid_posted_again_is_stored_once(self, client):
        params = inbound_sms(body="Hello?")

        first = post_signed(client, INBOUND_PATH, params)
        again = post_signed(client, INBOUND_PATH, params)

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.content == EMPTY_TWIML
        assert Message.objects.count() == 1
        assert Conversation.objects.get().message_count == 1

    def test_every_media_item_of_an_mms_is_kept_in_order(self, client):
        params = inbound_mms(
            body="Photos of the damage", media=["image/jpeg", "image/png", "video/mp4"]
        )

        response = post_signed(client, INBOUND_PATH, params)

        assert response.status_code == 200
        message = Message.objects.get()
        assert message.num_media == 3
        assert message.media == [
            {"url": params["MediaUrl0"], "content_type": "image/jpeg"},
            {"url": params["MediaUrl1"], "content_type": "image/png"},
            {"url": params["MediaUrl2"], "content_type": "video/mp4"},
        ]
        assert message.body == "Photos of the damage"
        assert message.provider_message_id == params["MessageSid"]

    def test_a_media_only_message_is_stored_with_a_placeholder_body(self, client):
        post_signed(client, INBOUND_PATH, inbound_mms(body="", media=["image/jpeg"]))

        message = Message.objects.get()
        assert message.body == "(media message)"
        assert message.num_media == 1
        assert Conversation.objects.get().last_message_preview == "(media message)"

    @pytest.mark.parametrize("sender", ["12345", "ACME"])
    def test_a_short_code_or_alphanumeric_sender_is_still_stored(self, client, sender):
        response = receive(client, from_=sender, body="Your code is 123456")

        assert response.status_code == 200
        message = Message.objects.get()
        assert message.from_contact == sender
        assert message.body == "Your code is 123456"
        assert Conversation.objects.get().reply_to == sender


class TestOptOutKeywords:
    @pytest.mark.parametrize(
        "body",
        [
            *["STOP", "stop", "  Stop ", "Stop\n"],
            *["UNSUBSCRIBE", "QUIT", "StopAll", "cancel", "END", "revoke", "OPTOUT"],
        ],
    )
    def test_an_opt_out_keyword_opts_the_sender_out(self, client, body):
        response = receive(client, body=body)

        assert response.status_code == 200
        assert Suppression.objects.get().address == CUSTOMER
        # The STOP itself is a message a person may want to read.
        assert Message.objects.get().body == body

    @pytest.mark.parametrize(
        "body", ["Stop please", "Please stop", "Stopp", "Don't stop", "HELP", "Stop it now!"]
    )
    def test_a_message_that_is_not_exactly_a_keyword_does_not_opt_out(self, client, body):
        receive(client, body=body)

        assert not Suppression.objects.exists()
        assert Message.objects.get().body == body

    @pytest.mark.parametrize("body", ["START", "yes", " Unstop "])
    def test_an_opt_in_keyword_opts_the_sender_back_in(self, client, body):
        receive(client, body="STOP")

        receive(client, body=body)

        assert not Suppression.objects.exists()
        assert Message.objects.count() == 2

    def test_after_stop_the_api_refuses_to_send_to_the_sender_and_stores_nothing(
        self, client, api_client
    ):
        receive(client, body="STOP")

        response = send_api(api_client)

        assert response.status_code == 409
        data = response.json()
        today = timezone.localdate().isoformat()
        assert data["error"] == (
            f"{CUSTOMER} replied STOP on {today}: they can opt back in by texting START."
        )
        assert data["fields"] == {"to": [data["error"]]}
        assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
        assert Conversation.objects.get().message_count == 1

    def test_after_start_the_api_sends_to_the_sender_again(self, client, api_client):
        receive(client, body="STOP")
        receive(client, body="START")

        response = send_api(api_client)

        assert response.status_code == 200
        assert Message.objects.filter(direction=Direction.OUTBOUND, to_contact=CUSTOMER).exists()

    def test_twilios_opt_out_type_stop_opts_out_whatever_the_body_says(self, client):
        receive(client, body="Stopp", OptOutType="STOP")

        assert Suppression.objects.get().address == CUSTOMER

    def test_twilios_opt_out_type_start_opts_back_in_whatever_the_body_says(self, client):
        receive(client, body="STOP")

        receive(client, body="Begin again", OptOutType="START")

        assert not Suppression.objects.exists()

    def test_twilios_opt_out_type_help_opts_nobody_out(self, client):
        receive(client, body="help", OptOutType="HELP")

        assert not Suppression.objects.exists()

    def test_a_repeated_stop_keeps_one_opt_out(self, client):
        receive(client, body="STOP")
        receive(client, body="stop")

        assert Suppression.objects.count() == 1


class TestInboundSignature:
    def test_a_request_without_a_signature_is_refused_and_nothing_is_stored(self, client):
        response = post_form(client, INBOUND_PATH, inbound_sms())

        assert response.status_code == 403
        assert response.json() == {"error": "Missing or invalid signature."}
        assert not Message.objects.exists()
        assert not Conversation.objects.exists()

    def test_a_signature_made_with_another_auth_token_is_refused(self, client, settings):
        params = inbound_sms()
        url = settings.PUBLIC_BASE_URL + INBOUND_PATH
        forged = signature(params, url=url, token="not-the-auth-token")

        response = post_form(client, INBOUND_PATH, params, headers={"X-Twilio-Signature": forged})

        assert response.status_code == 403
        assert not Message.objects.exists()

    def test_a_signature_that_is_not_a_signature_is_refused(self, client):
        response = post_form(
            client, INBOUND_PATH, inbound_sms(), headers={"X-Twilio-Signature": "garbage=="}
        )

        assert response.status_code == 403

    def test_a_signature_for_the_internal_url_rather_than_the_public_one_is_refused(self, client):
        # What a proxy-unaware check would accept: the URL as Django sees it.
        response = post_signed(
            client, INBOUND_PATH, inbound_sms(), url="http://testserver" + INBOUND_PATH
        )

        assert response.status_code == 403
        assert not Message.objects.exists()

    def test_a_parameter_changed_after_signing_is_refused(self, client, settings):
        params = inbound_sms(body="Hi")
        signed = signature(params, url=settings.PUBLIC_BASE_URL + INBOUND_PATH)

        response = post_form(
            client, INBOUND_PATH, {**params, "Body": "STOP"}, headers={"X-Twilio-Signature": signed}
        )

        assert response.status_code == 403
        assert not Message.objects.exists()
        assert not Suppression.objects.exists()

    def test_a_parameter_added_after_signing_is_refused(self, client, settings):
        params = inbound_sms(body="Hi")
        signed = signature(params, url=settings.PUBLIC_BASE_URL + INBOUND_PATH)

        response = post_form(
            client,
            INBOUND_PATH,
            {**params, "OptOutType": "STOP"},
            headers={"X-Twilio-Signature": signed},
        )

        assert response.status_code == 403
        assert not Suppression.objects.exists()

    def test_parameters_twilio_adds_without_notice_are_signed_and_accepted(self, client):
        response = receive(client, NewFieldTwilioAddedLater="something")

        assert response.status_code == 200
        assert Message.objects.count() == 1

    def test_validation_follows_the_configured_public_base_url(self, client, settings):
        # Behind a proxy: Twilio calls the public host; Django sees only "testserver".
        settings.PUBLIC_BASE_URL = "https://sms.example.com"
        params = inbound_sms()

        old = post_signed(client, INBOUND_PATH, params, url="https://hatch.test" + INBOUND_PATH)
        new = post_signed(client, INBOUND_PATH, params)

        assert old.status_code == 403
        assert new.status_code == 200
        assert Message.objects.count() == 1

    def test_a_signature_over_the_url_with_its_default_port_is_accepted(self, client):
        # Twilio sometimes signs "https://host:443/...": twilio-python accepts both forms.
        response = post_signed(
            client, INBOUND_PATH, inbound_sms(), url="https://hatch.test:443" + INBOUND_PATH
        )

        assert response.status_code == 200

    def test_without_an_auth_token_every_request_is_refused(self, client, settings):
        settings.TWILIO_AUTH_TOKEN = ""
        params = inbound_sms()
        signed = signature(params, url=settings.PUBLIC_BASE_URL + INBOUND_PATH, token="")

        response = post_form(client, INBOUND_PATH, params, headers={"X-Twilio-Signature": signed})

        assert response.status_code == 403
        assert not Message.objects.exists()

    def test_unsigned_requests_pass_when_signatures_are_switched_off_for_development(
        self, client, settings
    ):
        settings.WEBHOOK_SIGNATURES_REQUIRED = False

        response = post_form(client, INBOUND_PATH, inbound_sms())

        assert response.status_code == 200
        assert Message.objects.count() == 1


class TestMalformedInbound:
    @pytest.mark.parametrize("field", ["From", "To", "MessageSid"])
    def test_an_authentic_request_missing_a_required_field_is_a_400(self, client, field):
        params = inbound_sms()
        del params[field]

        response = post_signed(client, INBOUND_PATH, params)

        assert response.status_code == 400
        assert field in response.json()["error"]
        assert not Message.objects.exists()

    @pytest.mark.parametrize("method", ["get", "put", "delete"])
    def test_only_post_is_allowed(self, client, method):
        response = getattr(client, method)(INBOUND_PATH)

        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert response.json() == {"error": "Only POST is allowed."}

    def test_a_body_over_the_upload_limit_is_a_413_and_nothing_is_stored(self, client, settings):
        params = inbound_sms(body="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

        response = post_signed(client, INBOUND_PATH, params)

        assert response.status_code == 413
        assert response.json() == {
            "error": "The request body is too large: at most "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."
        }
        assert not Message.objects.exists()

    def test_a_body_longer_than_an_sms_can_be_is_cut_to_the_limit(self, client):
        receive(client, body="a" * 2000)

        assert len(Message.objects.get().body) == 1600


@pytest.fixture
def sent_message():
    """An outbound SMS Twilio has accepted: status "sent", its MessageSid stored."""
    message = services.message_send(to=CUSTOMER, body="Your table is ready")
    Message.objects.filter(id=message.id).update(
        status=MessageStatus.SENT, provider_message_id=message_sid(), sent_at=timezone.now()
    )
    message.refresh_from_db()
    return message


def callback(client, message, status, *, sid=None, message_id=None, **kwargs):
    """Post the status callback Twilio sends to the URL Hatch gave it for ``message``."""
    message_id = message.id if message_id is None else message_id
    path = f"{STATUS_PATH}?{urlencode({'message_id': message_id})}"
    params = status_callback(sid=sid or message.provider_message_id, status=status, **kwargs)
    return post_signed(client, path, params)


class TestStatusCallbacks:
    def test_delivered_marks_the_message_delivered(self, client, sent_message):
        response = callback(client, sent_message, "delivered")

        assert response.status_code == 200
        assert response.content == EMPTY_TWIML
        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.DELIVERED
        assert sent_message.delivered_at is not None
        assert sent_message.error_code is None

    def test_every_callback_is_kept_with_its_payload(self, client, sent_message):
        callback(client, sent_message, "delivered")

        event = MessageEvent.objects.get()
        assert event.message == sent_message
        assert event.provider_message_id == sent_message.provider_message_id
        assert event.provider_status == "delivered"
        assert event.payload["MessageStatus"] == "delivered"
        assert event.payload["RawDlrDoneDate"] == "2411291422"

    def test_sent_arriving_after_delivered_leaves_the_message_delivered(self, client, sent_message):
        callback(client, sent_message, "delivered")

        response = callback(client, sent_message, "sent")

        assert response.status_code == 200
        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.DELIVERED
        assert MessageEvent.objects.count() == 2

    def test_a_duplicate_delivered_is_applied_once_and_every_copy_is_kept(
        self, client, sent_message
    ):
        callback(client, sent_message, "delivered")
        sent_message.refresh_from_db()
        first_delivered_at = sent_message.delivered_at

        for _ in range(9):
            assert callback(client, sent_message, "delivered").status_code == 200

        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.DELIVERED
        assert sent_message.delivered_at == first_delivered_at
        assert MessageEvent.objects.filter(message=sent_message).count() == 10

    def test_failed_records_twilios_error_code_and_message(self, client, sent_message):
        callback(
            client,
            sent_message,
            "failed",
            error_code="30003",
            error_message="Unreachable destination handset",
        )

        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.FAILED
        assert sent_message.error_code == 30003
        assert sent_message.error_message == "Unreachable destination handset"
        assert sent_message.delivered_at is None
        assert MessageEvent.objects.get().error_code == 30003

    def test_the_first_terminal_status_and_its_error_code_are_kept(self, client, sent_message):
        callback(client, sent_message, "undelivered", error_code="30003")

        callback(client, sent_message, "failed", error_code="30005")

        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.UNDELIVERED
        assert sent_message.error_code == 30003
        assert [e.error_code for e in MessageEvent.objects.all()] == [30003, 30005]

    def test_a_later_callback_without_an_error_code_keeps_the_stored_one(
        self, client, sent_message
    ):
        callback(client, sent_message, "failed", error_code="30007")

        callback(client, sent_message, "failed")

        sent_message.refresh_from_db()
        assert sent_message.error_code == 30007

    def test_undelivered_after_delivered_changes_nothing(self, client, sent_message):
        callback(client, sent_message, "delivered")
        sent_message.refresh_from_db()
        before = (sent_message.status, sent_message.delivered_at, sent_message.updated_at)

        # Twilio's undelivered always carries an ErrorCode.
        response = callback(client, sent_message, "undelivered", error_code="30005")

        assert response.status_code == 200
        sent_message.refresh_from_db()
        assert (sent_message.status, sent_message.delivered_at) == before[:2]
        assert sent_message.updated_at == before[2]
        assert sent_message.error_code is None
        assert sent_message.error_message == ""
        assert MessageEvent.objects.count() == 2

    def test_error_21610_opts_the_recipient_out(self, client, sent_message, api_client):
        callback(
            client,
            sent_message,
            "failed",
            error_code="21610",
            error_message="Attempt to send to unsubscribed recipient",
        )

        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.FAILED
        assert sent_message.error_code == 21610
        opt_out = Suppression.objects.get()
        assert (opt_out.address, opt_out.reason, opt_out.detail) == (
            CUSTOMER,
            "carrier_opt_out",
            "Twilio 21610",
        )
        assert send_api(api_client).status_code == 409

    def test_other_error_codes_opt_nobody_out(self, client, sent_message):
        callback(client, sent_message, "undelivered", error_code="30003")

        assert not Suppression.objects.exists()

    def test_a_callback_that_outruns_the_worker_is_matched_by_message_id_and_stores_the_sid(
        self, client
    ):
        # Twilio accepted the message but the worker has not recorded the MessageSid yet.
        message = services.message_send(to=CUSTOMER, body="Your table is ready")
        Message.objects.filter(id=message.id).update(status=MessageStatus.SENDING)
        sid = message_sid()

        response = callback(client, message, "sent", sid=sid)

        assert response.status_code == 200
        message.refresh_from_db()
        assert message.provider_message_id == sid
        assert message.status == MessageStatus.SENT
        assert message.sent_at is not None
        assert MessageEvent.objects.get().message == message

    def test_a_callback_for_an_unknown_message_sid_is_kept_and_changes_nothing(
        self, client, sent_message
    ):
        sid = message_sid()
        path = STATUS_PATH  # no message_id: not a message Hatch sent
        response = post_signed(client, path, status_callback(sid=sid, status="delivered"))

        assert response.status_code == 200
        event = MessageEvent.objects.get()
        assert event.message is None
        assert event.provider_message_id == sid
        assert event.provider_status == "delivered"
        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.SENT

    @pytest.mark.parametrize("message_id", ["not-a-uuid", "8d0b3c1e-6a0f-4c59-9a43-4a3b1f1f6b2e"])
    def test_a_message_id_that_names_no_message_is_kept_as_unknown(
        self, client, sent_message, message_id
    ):
        response = callback(
            client, sent_message, "delivered", sid=message_sid(), message_id=message_id
        )

        assert response.status_code == 200
        assert MessageEvent.objects.get().message is None
        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.SENT

    def test_a_callback_never_touches_an_inbound_message(self, client):
        params = inbound_sms(body="Hello")
        post_signed(client, INBOUND_PATH, params)

        post_signed(client, STATUS_PATH, status_callback(sid=params["MessageSid"], status="failed"))

        inbound = Message.objects.get()
        assert inbound.status == MessageStatus.RECEIVED
        assert MessageEvent.objects.get().message is None

    def test_a_callback_without_a_status_is_a_400_and_is_not_stored(self, client, sent_message):
        params = status_callback(sid=sent_message.provider_message_id, status="delivered")
        del params["MessageStatus"], params["SmsStatus"]

        response = post_signed(client, f"{STATUS_PATH}?message_id={sent_message.id}", params)

        assert response.status_code == 400
        assert "MessageStatus" in response.json()["error"]
        assert not MessageEvent.objects.exists()

    def test_a_callback_with_a_bad_signature_is_refused_and_not_stored(self, client, sent_message):
        path = f"{STATUS_PATH}?message_id={sent_message.id}"
        params = status_callback(sid=sent_message.provider_message_id, status="failed")

        response = post_form(client, path, params, headers={"X-Twilio-Signature": "bm9wZQ=="})

        assert response.status_code == 403
        assert not MessageEvent.objects.exists()
        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.SENT

    def test_a_message_id_swapped_in_the_query_string_breaks_the_signature(
        self, client, sent_message
    ):
        other = services.message_send(to="+14155550123", body="Someone else")
        params = status_callback(sid=message_sid(), status="delivered")
        signed = signature(params, url=f"https://hatch.test{STATUS_PATH}?message_id={other.id}")

        response = post_form(
            client,
            f"{STATUS_PATH}?message_id={sent_message.id}",
            params,
            headers={"X-Twilio-Signature": signed},
        )

        assert response.status_code == 403
        assert not MessageEvent.objects.exists()


class TestWebhookStorm:
    def test_the_same_callback_ten_times_leaves_one_state_and_ten_records(
        self, client, sent_message
    ):
        for _ in range(10):
            callback(client, sent_message, "failed", error_code="30003")

        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.FAILED
        assert sent_message.error_code == 30003
        assert MessageEvent.objects.count() == 10

    def test_callbacks_in_reverse_order_end_delivered(self, client, sent_message):
        for status in ["delivered", "sent", "sending", "queued"]:
            assert callback(client, sent_message, status).status_code == 200

        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.DELIVERED
        assert sent_message.delivered_at is not None
        assert sent_message.error_code is None
        assert list(MessageEvent.objects.values_list("provider_status", flat=True)) == [
            "delivered",
            "sent",
            "sending",
            "queued",
        ]

    def test_callbacks_in_reverse_order_end_failed_with_the_error(self, client, sent_message):
        callback(client, sent_message, "failed", error_code="30006")
        for status in ["sent", "sending", "queued"]:
            callback(client, sent_message, status)

        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.FAILED
        assert sent_message.error_code == 30006

    def test_any_order_of_the_happy_path_ends_delivered(self, client):
        # All 24 orders, each on a message the worker has not yet recorded a MessageSid for.
        for order in itertools.permutations(["queued", "sending", "sent", "delivered"]):
            message = services.message_send(to=CUSTOMER, body=" -> ".join(order))
            Message.objects.filter(id=message.id).update(status=MessageStatus.SENDING)
            sid = message_sid()
            for status in order:
                callback(client, message, status, sid=sid)

            message.refresh_from_db()
            assert (message.status, message.provider_message_id) == ("delivered", sid), order
            assert message.sent_at is not None
            assert message.delivered_at is not None
        assert MessageEvent.objects.count() == 24 * 4


class TestForgedContent:
    """Authentic-looking requests with content no real provider sends: never a 500."""

    def test_nul_characters_are_dropped_not_a_server_error(self, client):
        response = receive(client, body="hello\x00world")

        assert response.status_code == 200
        assert Message.objects.get().body == "helloworld"

    @pytest.mark.parametrize("code", ["²", "99999999999999", "-1", "30003x"])
    def test_an_error_code_that_is_not_twilios_is_ignored(self, client, sent_message, code):
        response = callback(client, sent_message, "failed", error_code=code)

        assert response.status_code == 200
        sent_message.refresh_from_db()
        assert sent_message.status == MessageStatus.FAILED
        assert sent_message.error_code is None
