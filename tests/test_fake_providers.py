"""The fake Twilio/SendGrid server, driven by the real SDKs.

These tests also pin down which exception each SDK raises for each failure, which the
retry logic relies on to tell transient errors from permanent ones.
"""

import http.client
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from python_http_client import exceptions as sg_exc
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from testing.fake_providers import FakeProviders, Reply

TO, FROM = "+15558675310", "+15005550006"
SID_RE = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture
def fake():
    with FakeProviders() as server:
        yield server


def twilio_client(fake, *, timeout=2.0, account_sid=None, auth_token=None):
    client = Client(
        account_sid or fake.account_sid,
        auth_token or fake.auth_token,
        http_client=TwilioHttpClient(timeout=timeout),
    )
    client.api.base_url = fake.base_url
    client.edge = client.region = None
    return client


def sendgrid_client(fake, *, timeout=2.0, api_key=None):
    sg = SendGridAPIClient(api_key or fake.api_key, host=fake.base_url)
    sg.client.timeout = timeout
    return sg


def send_sms(client, body="Hello from Hatch", **kwargs):
    kwargs.setdefault("from_", FROM)
    return client.messages.create(to=TO, body=body, **kwargs)


def make_mail(**kwargs):
    return Mail(
        from_email="hatch@example.com",
        to_emails="casey@example.com",
        subject="Hello",
        plain_text_content="Plain body",
        html_content="<p>HTML body</p>",
        **kwargs,
    )


# --------------------------------------------------------------------------- Twilio


def test_twilio_send_returns_a_message_resource_and_is_recorded(fake):
    client = twilio_client(fake)

    message = send_sms(client, status_callback="https://hatch.example/twilio/status")

    assert SID_RE.match(message.sid)
    assert message.status == "queued"
    assert message.num_segments == "1"
    assert message.num_media == "0"
    assert (message.to, message.from_, message.body) == (TO, FROM, "Hello from Hatch")
    assert message.direction == "outbound-api"
    assert message.api_version == "2010-04-01"
    assert message.account_sid == fake.account_sid
    assert message.error_code is None and message.error_message is None
    assert message.price is None and message.messaging_service_sid is None
    assert message.date_created is not None  # the SDK parsed the RFC 2822 date
    assert message.uri == f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{message.sid}.json"

    [sent] = fake.twilio_messages()
    assert sent.method == "POST"
    assert sent.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert sent.basic_auth == (fake.account_sid, fake.auth_token)
    assert sent.header("content-type") == "application/x-www-form-urlencoded"
    assert sent.form == {
        "To": [TO],
        "From": [FROM],
        "Body": ["Hello from Hatch"],
        "StatusCallback": ["https://hatch.example/twilio/status"],
    }
    assert sent.field("Body") == "Hello from Hatch"
    assert (sent.status, sent.delivered, sent.message_id) == (201, True, message.sid)
    assert fake.sendgrid_mails() == []


def test_twilio_sids_are_unique_and_segments_follow_the_encoding(fake):
    client = twilio_client(fake)

    gsm_two_parts = send_sms(client, body="a" * 161)
    ucs2_two_parts = send_sms(client, body="é" + "ü" * 60 + "\u2014" * 10)  # 71 UTF-16 units
    single = send_sms(client, body="x")

    assert gsm_two_parts.num_segments == "2"
    assert ucs2_two_parts.num_segments == "2"
    assert len({gsm_two_parts.sid, ucs2_two_parts.sid, single.sid}) == 3


def test_twilio_messaging_service_send_is_accepted(fake):
    client = twilio_client(fake)

    message = send_sms(client, from_=None, messaging_service_sid="MG" + "1" * 32)

    assert message.status == "accepted"
    assert message.messaging_service_sid == "MG" + "1" * 32
    assert message.from_ is None


def test_twilio_fetch_returns_the_stored_message_and_its_updates(fake):
    client = twilio_client(fake)
    sid = send_sms(client).sid

    assert client.messages(sid).fetch().status == "queued"

    fake.update_twilio_message(sid, status="undelivered", error_code=30007)
    fetched = client.messages(sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30007)

    with pytest.raises(TwilioRestException) as excinfo:
        client.messages("SM" + "f" * 32).fetch()
    assert (excinfo.value.status, excinfo.value.code) == (404, 20404)


def test_twilio_scripted_error_raises_and_is_not_a_delivery(fake):
    client = twilio_client(fake)
    fake.script("twilio", Reply.twilio_error(400, 21211, "Invalid 'To' Phone Number"))

    with pytest.raises(TwilioRestException) as excinfo:
        send_sms(client)
    assert (excinfo.value.status, excinfo.value.code) == (400, 21211)
    assert "Invalid 'To' Phone Number" in excinfo.value.msg

    send_sms(client)  # the script is used up: back to normal
    assert [r.status for r in fake.requests] == [400, 201]
    assert len(fake.twilio_messages()) == 1
    assert fake.requests[0].response_json["more_info"].endswith("/21211")


def test_twilio_replies_are_consumed_in_order(fake):
    client = twilio_client(fake)
    fake.script(
        "twilio",
        Reply.twilio_error(429, 20429, "Too Many Requests", headers={"Retry-After": "1"}),
        Reply(status=502, body="<html>Bad Gateway</html>"),
    )

    with pytest.raises(TwilioRestException) as too_many:
        send_sms(client)
    with pytest.raises(TwilioRestException) as bad_gateway:
        send_sms(client)
    send_sms(client)

    assert (too_many.value.status, too_many.value.code) == (429, 20429)
    # Not JSON: the SDK falls back to the HTTP status as the code.
    assert (bad_gateway.value.status, bad_gateway.value.code) == (502, 502)
    # The SDK drops response headers from the exception; only its http_client keeps them.
    assert client.http_client._test_only_last_response.status_code == 201
    assert fake.pending_script("twilio") == 0


def test_twilio_wrong_auth_is_401_and_consumes_no_script(fake):
    client = twilio_client(fake, auth_token="wrong-token")
    fake.script("twilio", Reply.twilio_error(500, 20500, "Internal Server Error"))

    with pytest.raises(TwilioRestException) as excinfo:
        send_sms(client)

    assert (excinfo.value.status, excinfo.value.code) == (401, 20003)
    assert fake.pending_script("twilio") == 1
    assert fake.twilio_messages() == []


def test_twilio_missing_body_is_rejected_like_twilio(fake):
    with pytest.raises(TwilioRestException) as excinfo:
        twilio_client(fake).messages.create(to=TO, from_=FROM)
    assert (excinfo.value.status, excinfo.value.code) == (400, 21602)


def test_twilio_hang_beyond_the_timeout_raises_read_timeout_but_is_delivered(fake):
    client = twilio_client(fake, timeout=0.2)
    fake.script("twilio", Reply.hang(0.5))

    with pytest.raises(requests.exceptions.ReadTimeout) as excinfo:
        send_sms(client)
    # A Timeout, not a ConnectionError: retrying may send the SMS twice.
    assert isinstance(excinfo.value, requests.exceptions.Timeout)
    assert not isinstance(excinfo.value, requests.exceptions.ConnectionError)

    [recorded] = fake.wait_for_requests(1)
    assert recorded.delivered and recorded.status == 201


def test_twilio_dropped_connection_and_refused_connection_raise_connection_error(fake):
    client = twilio_client(fake)
    send_sms(client)  # leaves a keep-alive connection in the pool
    fake.script("twilio", Reply.disconnect())

    with pytest.raises(requests.exceptions.ConnectionError) as dropped:
        send_sms(client)
    assert "RemoteDisconnected" in str(dropped.value)

    fake.stop()
    with pytest.raises(requests.exceptions.ConnectionError) as refused:
        send_sms(client)
    assert "Connection refused" in str(refused.value)
    assert not isinstance(refused.value, requests.exceptions.Timeout)


# --------------------------------------------------------------------------- SendGrid


def test_sendgrid_send_is_accepted_and_recorded(fake):
    mail = make_mail()
    mail.custom_arg = CustomArg("hatch_email_id", "em-42")

    response = sendgrid_client(fake).send(mail)

    assert response.status_code == 202
    assert response.body == b""
    message_id = response.headers["X-Message-Id"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", message_id)

    [sent] = fake.sendgrid_mails()
    assert (sent.method, sent.path) == ("POST", "/v3/mail/send")
    assert sent.header("authorization") == f"Bearer {fake.api_key}"
    assert sent.json["personalizations"] == [{"to": [{"email": "casey@example.com"}]}]
    assert sent.json["from"] == {"email": "hatch@example.com"}
    assert sent.json["subject"] == "Hello"
    assert [c["type"] for c in sent.json["content"]] == ["text/plain", "text/html"]
    assert sent.json["custom_args"] == {"hatch_email_id": "em-42"}
    assert (sent.status, sent.message_id) == (202, message_id)
    assert fake.twilio_messages() == []


@pytest.mark.parametrize(
    ("status", "exception"),
    [
        (400, sg_exc.BadRequestsError),
        (403, sg_exc.ForbiddenError),
        (413, sg_exc.PayloadTooLargeError),
        (429, sg_exc.TooManyRequestsError),
        (500, sg_exc.InternalServerError),
        (502, sg_exc.HTTPError),  # not in python_http_client's table: the base class
        (503, sg_exc.ServiceUnavailableError),
        (504, sg_exc.GatewayTimeoutError),
    ],
)
def test_sendgrid_scripted_errors_raise_python_http_client_exceptions(fake, status, exception):
    fake.script("sendgrid", Reply.sendgrid_error(status, "nope", headers={"Retry-After": "7"}))

    with pytest.raises(sg_exc.HTTPError) as excinfo:
        sendgrid_client(fake).send(make_mail())

    assert type(excinfo.value) is exception
    assert excinfo.value.status_code == status
    assert excinfo.value.to_dict["errors"][0]["message"] == "nope"
    assert excinfo.value.headers["Retry-After"] == "7"
    assert fake.sendgrid_mails() == []
    assert fake.requests[0].status == status


def test_sendgrid_wrong_key_is_401(fake):
    with pytest.raises(sg_exc.UnauthorizedError) as excinfo:
        sendgrid_client(fake, api_key="SG.wrong").send(make_mail())
    assert excinfo.value.status_code == 401
    assert excinfo.value.to_dict == {
        "errors": [
            {
                "message": "The provided authorization grant is invalid, expired, or revoked",
                "field": None,
                "help": None,
            }
        ]
    }


def test_sendgrid_rejects_a_payload_without_sender(fake):
    payload = make_mail().get()
    del payload["from"]

    with pytest.raises(sg_exc.BadRequestsError) as excinfo:
        sendgrid_client(fake).client.mail.send.post(request_body=payload)
    assert excinfo.value.to_dict["errors"][0]["field"] == "from"


def test_sendgrid_hang_beyond_the_timeout_raises_builtin_timeout_error(fake):
    fake.script("sendgrid", Reply.hang(0.5))

    # urllib raises the socket's TimeoutError as is (not wrapped in URLError) when the
    # response is late.
    with pytest.raises(TimeoutError):
        sendgrid_client(fake, timeout=0.2).send(make_mail())
    assert fake.wait_for_requests(1)[0].delivered


def test_sendgrid_dropped_and_refused_connections(fake):
    sg = sendgrid_client(fake)
    fake.script("sendgrid", Reply.disconnect())

    with pytest.raises(http.client.RemoteDisconnected):  # a ConnectionResetError subclass
        sg.send(make_mail())

    fake.stop()
    with pytest.raises(urllib.error.URLError) as excinfo:
        sg.send(make_mail())
    assert isinstance(excinfo.value.reason, ConnectionRefusedError)
    assert not isinstance(excinfo.value, sg_exc.HTTPError)


# --------------------------------------------------------------------------- shared


def test_fifty_concurrent_twilio_sends_all_succeed(fake):
    client = twilio_client(fake)

    with ThreadPoolExecutor(max_workers=50) as pool:
        messages = list(pool.map(lambda i: send_sms(client, body=f"msg {i}"), range(50)))

    assert len({m.sid for m in messages}) == 50
    assert all(m.status == "queued" for m in messages)
    assert len(fake.twilio_messages()) == 50
    assert {r.field("Body") for r in fake.twilio_messages()} == {f"msg {i}" for i in range(50)}


def test_persistent_mode_answers_until_reset(fake):
    client = twilio_client(fake)
    fake.set_mode("twilio", Reply.twilio_error(503, 20503, "Service Unavailable"))

    for _ in range(3):
        with pytest.raises(TwilioRestException) as excinfo:
            send_sms(client)
        assert excinfo.value.status == 503

    fake.set_mode("twilio", None)
    send_sms(client)
    send_sms(client)

    assert [r.status for r in fake.requests] == [503, 503, 503, 201, 201]
    assert len(fake.twilio_messages()) == 2


def test_outage_sequence_for_sendgrid_and_script_precedence(fake):
    sg = sendgrid_client(fake)
    fake.set_mode("sendgrid", Reply.sendgrid_error(500, "Internal error"))
    with pytest.raises(sg_exc.InternalServerError):
        sg.send(make_mail())

    fake.set_mode("sendgrid", Reply.sendgrid_error(429, "too many requests"))
    fake.script("sendgrid", Reply.sendgrid_error(400, "scripted first"))
    with pytest.raises(sg_exc.BadRequestsError):
        sg.send(make_mail())
    with pytest.raises(sg_exc.TooManyRequestsError):
        sg.send(make_mail())

    fake.reset_faults()
    assert sg.send(make_mail()).status_code == 202
    assert [r.status for r in fake.requests] == [500, 400, 429, 202]
    assert len(fake.sendgrid_mails()) == 1


def test_unknown_paths_are_404_json_and_clear_forgets(fake):
    for path in ("/nope", "/v3/templates", "/2010-04-01/Accounts/AC1/Calls.json"):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(fake.base_url + path, timeout=2)
        assert excinfo.value.code == 404
        assert json.loads(excinfo.value.read())

    assert [r.provider for r in fake.requests] == [None, "sendgrid", "twilio"]
    fake.clear()
    assert fake.requests == []
    with pytest.raises(ValueError):
        fake.script("mailgun", Reply())


@pytest.mark.parametrize("latency", [0.0, 0.4])
def test_module_runs_as_a_server_until_interrupted_answering_after_its_latency(latency):
    """What bench/run starts: --latency makes every answer wait, as the real APIs do."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "testing.fake_providers", "--port", "0", "--latency", str(latency)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        sg = SendGridAPIClient("SG.test-key", host=base_url)
        sg.client.timeout = 2
        started = time.monotonic()
        assert sg.send(make_mail()).status_code == 202
        waited = time.monotonic() - started
        assert waited >= latency
        if latency == 0:
            assert waited < 0.4
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
        proc.stdout.close()


def test_stop_is_quick_even_with_a_request_hanging(fake):
    client = twilio_client(fake, timeout=0.1)
    fake.script("twilio", Reply.hang(30))
    with pytest.raises(requests.exceptions.ReadTimeout):
        send_sms(client)

    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 1


# --------------------------------------------------------------------------- Twilio list


def test_twilio_list_filters_by_to_from_and_date_newest_first_in_twilios_page_shape(fake):
    client = twilio_client(fake)
    first = send_sms(client, body="one")
    second = send_sms(client, body="two")
    client.messages.create(to="+15558675399", from_=FROM, body="someone else")

    listed = client.messages.list(to=TO, from_=FROM, date_sent_after="2000-01-01")
    assert [m.sid for m in listed] == [second.sid, first.sid]
    assert [m.body for m in listed] == ["two", "one"]
    assert client.messages.list(to=TO, date_sent_after="2999-01-01") == []

    [request] = [r for r in fake.requests if r.method == "GET"][:1]
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    page = request.response_json
    assert set(page) == {
        "end",
        "first_page_uri",
        "messages",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
    assert (page["page"], page["page_size"], page["start"], page["end"]) == (0, 50, 0, 1)
    assert page["next_page_uri"] is None and page["previous_page_uri"] is None
    assert page["uri"].startswith(request.path + "?")


def test_twilio_list_pages_are_followed_by_the_sdk(fake):
    client = twilio_client(fake)
    sids = [send_sms(client, body=f"n{n}").sid for n in range(7)]

    streamed = list(client.messages.stream(to=TO, page_size=3))

    assert [m.sid for m in streamed] == list(reversed(sids))
    lists = [r for r in fake.requests if r.method == "GET"]
    assert len(lists) == 3  # 3 + 3 + 1
    assert lists[0].response_json["next_page_uri"].startswith(lists[1].path)
    assert "Page=1" in lists[1].query and "PageToken=PA" in lists[1].query
    assert lists[2].response_json["next_page_uri"] is None


def test_twilio_list_with_a_full_timestamp_compares_the_instant(fake):
    client = twilio_client(fake)
    send_sms(client)
    assert len(client.messages.list(date_sent_after=datetime(2000, 1, 1, tzinfo=UTC))) == 1
    assert client.messages.list(date_sent_after=datetime(2999, 1, 1, tzinfo=UTC)) == []


def test_reply_lost_accepts_at_once_and_answers_after_the_client_gave_up(fake):
    client = twilio_client(fake, timeout=0.2)
    fake.script("twilio", Reply.reply_lost(0.6))

    with pytest.raises(requests.exceptions.ReadTimeout):
        send_sms(client, body="accepted, answer lost")

    # Listed while the answer is still held: Twilio has it.
    listed = twilio_client(fake).messages.list(to=TO)
    assert [m.body for m in listed] == ["accepted, answer lost"]
    [recorded] = [r for r in fake.wait_for_requests(2) if r.method == "POST"]
    assert recorded.delivered and recorded.message_id == listed[0].sid


def test_stall_hangs_up_without_accepting(fake):
    sg = sendgrid_client(fake, timeout=0.2)
    fake.script("sendgrid", Reply.stall(0.5))

    with pytest.raises(TimeoutError):
        sg.send(make_mail())

    [recorded] = fake.wait_for_requests(1)
    assert (recorded.delivered, recorded.status) == (False, None)
    assert fake.sendgrid_mails() == []


# --------------------------------------------------------------------------- MMS media


def test_twilio_media_ask_for_basic_auth_and_redirect_to_storage_on_another_host(fake):
    url = fake.add_twilio_media(b"\x89PNG fake bytes", "image/png")

    refused = requests.get(url, timeout=2)
    answered = requests.get(url, auth=(fake.account_sid, fake.auth_token), timeout=2)

    assert refused.status_code == 401
    assert answered.status_code == 200
    assert answered.content == b"\x89PNG fake bytes"
    assert answered.headers["Content-Type"] == "image/png"
    (hop,) = answered.history
    assert hop.status_code == 307
    assert hop.headers["Location"].startswith(f"http://localhost:{fake.port}/")
    # requests leaves the credentials behind when a redirect changes host, as at Twilio.
    storage = fake.twilio_media_requests()[-1]
    assert storage.header("Authorization") is None


def test_deleted_twilio_media_answer_404_and_media_faults_can_be_scripted(fake):
    gone = fake.add_twilio_media(b"x", "image/png")
    kept = fake.add_twilio_media(b"y", "image/png")
    fake.delete_twilio_media(gone)
    fake.script("twilio_media", Reply(status=503, body="Service Unavailable"))
    auth = (fake.account_sid, fake.auth_token)

    assert requests.get(kept, auth=auth, timeout=2).status_code == 503
    assert requests.get(gone, auth=auth, timeout=2).status_code == 404
    assert requests.get(kept, auth=auth, timeout=2).content == b"y"


def test_a_sends_media_urls_are_recorded(fake):
    client = twilio_client(fake)
    urls = ["https://hatch.test/media/a/1.png", "https://hatch.test/media/b/2.png"]

    send_sms(client, body="", media_url=urls)

    assert fake.twilio_sent_media_urls() == [urls]
    assert fake.twilio_messages()[0].response_json["num_media"] == "2"
