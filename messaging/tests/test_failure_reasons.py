"""Why an SMS failed, in words: Twilio's error codes explained by the SMS provider registry
(messaging.providers.failure_reason), for the reports and the inbox's thread."""

from urllib.parse import urlencode

import pytest
from django.utils import timezone

from messaging import services
from messaging.models import Message, MessageStatus
from messaging.providers import failure_reason, failure_tables
from messaging.tests.twilio_payloads import (
    CUSTOMER,
    STATUS_PATH,
    message_sid,
    post_signed,
    status_callback,
)

# The codes a team most often meets (issue 15): each must be explained.
COMMON_CODES = [
    20429,
    21211,
    21408,
    21606,
    21608,
    21610,
    21611,
    21612,
    21614,
    21617,
    21635,
    30001,
    30002,
    30003,
    30004,
    30005,
    30006,
    30007,
    30008,
    30010,
    30011,
    30017,
    30018,
    30019,
    30020,
    30021,
    30022,
    30023,
    30024,
    30034,
    30035,
    30036,
    30038,
]


@pytest.mark.parametrize("code", COMMON_CODES)
def test_each_common_twilio_code_says_what_happened_and_what_to_do(code):
    reason = failure_reason(code)

    assert reason is not None
    assert reason.code == str(code)
    assert reason.title and reason.action
    # Twilio's own page for the code, one click away.
    assert reason.url == f"https://www.twilio.com/docs/api/errors/{code}"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (30003, "unreachable"),
        (30006, "landline"),
        (30007, "spam"),
        (30034, "not registered"),
        (21610, "STOP"),
    ],
)
def test_a_title_names_the_failure_in_plain_words(code, words):
    assert words in failure_reason(code).title


def test_a_code_is_found_whether_stored_as_a_number_or_written_as_text():
    # Message.error_code is an integer column; the reports and the API hand codes as text.
    assert failure_reason(30007) == failure_reason("30007") == failure_reason(" 30007 ")


@pytest.mark.parametrize("code", [None, "", "  ", 12345, "bounce"])
def test_no_code_or_an_unknown_one_has_no_explanation(code):
    assert failure_reason(code) is None


def test_twilio_codes_are_explained_when_sms_go_through_the_console_provider(settings):
    # Messages Twilio reported on stay in the database after a switch to "console" (or in a
    # copy of production data on a developer's machine): their codes still mean something.
    settings.SMS_PROVIDER = "console"

    assert failure_reason(30007).title == "The carrier filtered the message as spam"
    assert [provider for provider, _ in failure_tables()] == ["Twilio"]


@pytest.mark.django_db
def test_the_code_of_an_undelivered_sms_reported_by_twilio_is_explained(client):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")
    Message.objects.filter(id=message.id).update(
        status=MessageStatus.SENT, provider_message_id=message_sid(), sent_at=timezone.now()
    )
    params = status_callback(
        sid=Message.objects.get(id=message.id).provider_message_id,
        status="undelivered",
        error_code="30034",
        error_message="Message from an Unregistered Number",
    )

    post_signed(client, f"{STATUS_PATH}?{urlencode({'message_id': message.id})}", params)

    message.refresh_from_db()
    assert message.status == MessageStatus.UNDELIVERED
    reason = failure_reason(message.error_code)
    assert reason.title == (
        "Hatch's number is not registered for business texting in the US (A2P 10DLC)"
    )
    assert "register the number" in reason.action
