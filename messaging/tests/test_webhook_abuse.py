"""Twilio's webhooks under abuse: forged, malformed, oversized, odd bytes, NULs.

Whatever arrives, the answer is a 4xx (JSON, saying why) or, for an authentic request, a
200; never a 5xx, and a refused request writes nothing (every table's row count is
unchanged). Bodies are generated with hypothesis (derandomized, bounded), and the
authentic ones are signed with twilio-python's own validator over the fields as Django
reads them, as Twilio would have signed them.
"""

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.http import QueryDict
from django.test import Client
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from consent.models import Suppression
from messaging.models import Conversation, Message, MessageEvent
from messaging.tests.twilio_payloads import (
    CUSTOMER,
    HATCH_NUMBER,
    INBOUND_PATH,
    STATUS_PATH,
    inbound_sms,
    message_sid,
    status_callback,
)

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    # One database transaction for the whole test: each example compares counts before
    # and after itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PATHS = [
    INBOUND_PATH,
    STATUS_PATH,
    f"{STATUS_PATH}?message_id=00000000-0000-4000-8000-000000000000",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/json",
    "text/plain",
    "application/octet-stream",
    "",
]
# Any text at all, NUL and other control characters included.
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
FIELDS = st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=12)
ODD_VALUES = st.one_of(
    ANY_TEXT,
    st.just(""),
    st.just("\x00"),
    st.just("x" * 5000),
    st.sampled_from(
        ["-1", "99999999999999999999", "1e308", "NaN", "\uff10", "\u0661\u0662", "+", "STOP"]
    ),
)
INBOUND_FIELDS = ["From", "To", "Body", "MessageSid", "NumMedia", "OptOutType", "MediaUrl0"]
STATUS_FIELDS = ["MessageSid", "MessageStatus", "SmsStatus", "ErrorCode", "ErrorMessage", "To"]


def rows() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Conversation, Message, MessageEvent, Suppression)
    }


def signature_for(path: str, form: QueryDict | dict) -> str:
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        settings.PUBLIC_BASE_URL + path, form
    )


def post(path: str, body: bytes | str, *, content_type: str, headers: dict | None = None):
    # raise_request_exception=False: a view that raised answers 500 here, as in production.
    return Client(raise_request_exception=False).generic(
        "POST", path, body, content_type=content_type, headers=headers or {}
    )


def post_signed_form(path: str, form: dict):
    """POST ``form`` url-encoded and signed as Twilio would sign it."""
    return post(
        path,
        urlencode(form),
        content_type=CONTENT_TYPES[0],
        headers={"X-Twilio-Signature": signature_for(path, form)},
    )


def assert_refused_or_authentic(response, before: dict[str, int]) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code != 200:
        assert 400 <= response.status_code < 500
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]
        assert rows() == before, "a refused request wrote something"


@FUZZ
@given(path=st.sampled_from(PATHS), form=FIELDS, signature=st.one_of(st.none(), ANY_TEXT))
@example(path=INBOUND_PATH, form=inbound_sms(), signature=None)
@example(path=INBOUND_PATH, form=inbound_sms(), signature="not base64 at all \x00")
@example(
    path=STATUS_PATH, form=status_callback(sid=message_sid(), status="delivered"), signature=""
)
def test_a_forged_form_is_refused_with_403_and_writes_nothing(path, form, signature):
    before = rows()
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    # Headers cannot carry every character; a client cannot send those either.
    headers = {
        name: value.encode("latin-1", "ignore").decode("latin-1") for name, value in headers.items()
    }

    response = post(path, urlencode(form), content_type=CONTENT_TYPES[0], headers=headers)

    assert response.status_code == 403
    assert response.json() == {"error": "Missing or invalid signature."}
    assert rows() == before


@FUZZ
@given(
    path=st.sampled_from(PATHS),
    body=st.binary(max_size=400),
    content_type=st.sampled_from(CONTENT_TYPES),
    signed=st.booleans(),
)
@example(
    path=INBOUND_PATH,
    body=b"From=%FF%FE&Body=\xff\xfe\x00",
    content_type=CONTENT_TYPES[0],
    signed=True,
)
@example(path=INBOUND_PATH, body=b"--xyz\r\ngarbage", content_type=CONTENT_TYPES[3], signed=True)
@example(path=INBOUND_PATH, body=b"garbage", content_type="multipart/form-data", signed=False)
@example(
    path=STATUS_PATH, body=b'{"MessageSid": "SM1"}', content_type="application/json", signed=True
)
def test_any_bytes_in_any_content_type_answer_4xx_or_an_authentic_200(
    path, body, content_type, signed
):
    """Signed: the signature Twilio would have made over the fields Django reads from it."""
    before = rows()
    headers = {}
    if signed:
        try:
            form = QueryDict(body) if "urlencoded" in content_type or not content_type else {}
        except Exception:
            form = {}
        headers["X-Twilio-Signature"] = signature_for(path, form)

    response = post(path, body, content_type=content_type, headers=headers)

    assert_refused_or_authentic(response, before)


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(INBOUND_FIELDS), ODD_VALUES, min_size=1))
@example(changes={"Body": "a\x00b", "MessageSid": "SM\x00"})
@example(changes={"MediaUrl0": "https://example.com/\x00", "NumMedia": "1"})
@example(changes={"From": "\x00"})
@example(changes={"From": "x" * 5000})
@example(changes={"OptOutType": "STOP\x00"})
def test_an_authentic_inbound_sms_with_odd_fields_is_stored_whole_or_refused(changes):
    before = rows()
    form = {**inbound_sms(), **changes}

    response = post_signed_form(INBOUND_PATH, form)

    assert_refused_or_authentic(response, before)
    if response.status_code == 200:
        # One message (and its conversation), or nothing for a MessageSid seen before.
        sid = form["MessageSid"].replace("\x00", "")[:64]
        assert Message.objects.filter(provider_message_id=sid).count() == 1
        assert "\x00" not in Message.objects.get(provider_message_id=sid).body


@FUZZ
@given(
    changes=st.dictionaries(st.sampled_from(STATUS_FIELDS), ODD_VALUES, min_size=1),
    message_id=st.one_of(st.just(""), ANY_TEXT, st.uuids().map(str)),
)
@example(changes={"ErrorMessage": "x\x00", "ErrorCode": "\x00"}, message_id="\x00")
@example(changes={"ErrorCode": "99999999999999999999"}, message_id="")
def test_an_authentic_status_callback_with_odd_fields_answers_200_or_400(changes, message_id):
    before = rows()
    form = {**status_callback(sid=message_sid(), status="delivered"), **changes}
    path = f"{STATUS_PATH}?{urlencode({'message_id': message_id})}"

    response = post_signed_form(path, form)

    assert_refused_or_authentic(response, before)
    if response.status_code == 200:
        assert MessageEvent.objects.count() == before["MessageEvent"] + 1


def test_a_form_with_more_fields_than_allowed_is_a_json_400_and_writes_nothing():
    form = {
        **inbound_sms(),
        **{f"Extra{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)},
    }

    response = post_signed_form(INBOUND_PATH, form)

    assert response.status_code == 400
    assert response.json() == {
        "error": "The form cannot be read: malformed, or more than "
        f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields."
    }
    assert not Message.objects.exists()


@pytest.mark.parametrize("path", [INBOUND_PATH, STATUS_PATH])
def test_a_body_over_the_limit_is_a_json_413_before_any_check(path, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    form = inbound_sms(body="x" * 10_000)

    response = post_signed_form(path, form)

    assert response.status_code == 413
    assert "at most 10000 bytes" in response.json()["error"]
    assert rows() == {"Conversation": 0, "Message": 0, "MessageEvent": 0, "Suppression": 0}


def post_mms(media_count: int):
    """A signed inbound MMS carrying ``media_count`` images."""
    form = inbound_sms(NumMedia=str(media_count))
    for index in range(media_count):
        form[f"MediaUrl{index}"] = f"https://api.twilio.com/media/{index}"
        form[f"MediaContentType{index}"] = "image/jpeg"
    return post_signed_form(INBOUND_PATH, form)


def test_an_mms_with_more_media_than_twilio_allows_is_refused_whole():
    response = post_mms(11)

    assert response.status_code == 400
    assert response.json() == {
        "error": "At most 10 media per message (Twilio's limit); this one has 11. "
        "Nothing was stored."
    }
    assert rows() == {"Conversation": 0, "Message": 0, "MessageEvent": 0, "Suppression": 0}


def test_ten_media_are_all_kept():
    response = post_mms(10)

    assert response.status_code == 200
    assert len(Message.objects.get().media) == 10


def test_nul_characters_are_dropped_from_an_authentic_callback_and_the_rest_is_kept():
    form = {**inbound_sms(body="Table\x00 for two", from_=CUSTOMER, to=HATCH_NUMBER)}

    response = post_signed_form(INBOUND_PATH, form)

    assert response.status_code == 200
    assert Message.objects.get().body == "Table for two"
