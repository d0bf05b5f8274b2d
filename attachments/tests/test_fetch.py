"""Downloading a provider's media (Twilio's inbound MMS) from real local HTTP servers.

Two servers, as in production: "Twilio" answers a media URL, with Basic authentication, by
a redirect to "storage" (another host: another port here), which serves the bytes.
"""

import base64
import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from attachments.models import Attachment
from attachments.services import (
    EMAIL_POLICY,
    MMS_POLICY,
    MMS_RECEIVED_POLICY,
    FetchError,
    attachment_fetch,
)
from attachments.tests import samples
from core.errors import PayloadTooLarge, ValidationError

pytestmark = pytest.mark.django_db

ACCOUNT = ("AC" + "1" * 32, "auth-token")
SIX_MB = 6_000_000


class Server:
    """A ThreadingHTTPServer on a free local port; ``routes`` maps a path to a handler."""

    def __init__(self):
        self.requests: list[tuple[str, str | None]] = []  # (path, Authorization)
        self.routes = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Authorization")))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                # The client may stop reading, as it should past the cap.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler, content: bytes, content_type: str, headers: dict | None = None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(content)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(content)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def storage() -> Iterator[Server]:
    with Server() as server:
        yield server


@pytest.fixture
def twilio(storage) -> Iterator[Server]:
    """Twilio's media URLs: Basic auth required, then a redirect to the storage."""
    with Server() as server:

        def media(path, target):
            def route(handler):
                if handler.headers.get("Authorization") != basic(*ACCOUNT):
                    handler.send_response(401)
                    handler.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
                    handler.send_header("Content-Length", "0")
                    handler.end_headers()
                    return
                handler.send_response(307)
                handler.send_header("Location", storage.url + target)
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            server.routes[path] = route

        server.media = media
        yield server


MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT[0]}/Messages/MM1/Media/ME1"


def test_media_is_fetched_with_basic_auth_through_the_redirect_and_stored(twilio, storage):
    twilio.media(MEDIA_PATH, "/bucket/ME1?X-Amz-Signature=abc")
    storage.routes["/bucket/ME1?X-Amz-Signature=abc"] = lambda h: send(
        h, samples.JPEG, "image/jpeg"
    )

    attachment = attachment_fetch(twilio.url + MEDIA_PATH, auth=ACCOUNT, policy=MMS_POLICY)

    assert Attachment.objects.get() == attachment
    assert (attachment.filename, attachment.content_type) == ("ME1.jpg", "image/jpeg")
    with attachment.file.open("rb") as file:
        assert file.read() == samples.JPEG
    assert twilio.requests == [(MEDIA_PATH, basic(*ACCOUNT))]
    # The credentials stay with Twilio: the redirect leaves its host.
    assert storage.requests == [("/bucket/ME1?X-Amz-Signature=abc", None)]


def test_the_name_in_content_disposition_is_kept(storage):
    storage.routes["/file"] = lambda h: send(
        h,
        samples.PDF,
        "application/pdf",
        {"Content-Disposition": "attachment; filename*=utf-8''Caf%C3%A9%20menu.pdf"},
    )

    attachment = attachment_fetch(storage.url + "/file", policy=EMAIL_POLICY)

    assert attachment.filename == "Café menu.pdf"


def test_the_type_comes_from_the_bytes_not_the_servers_header(storage):
    storage.routes["/ME2"] = lambda h: send(h, samples.png(), "text/plain")

    attachment = attachment_fetch(storage.url + "/ME2", policy=MMS_POLICY)

    assert (attachment.filename, attachment.content_type) == ("ME2.png", "image/png")


def test_wrong_credentials_are_a_permanent_error(twilio):
    twilio.media(MEDIA_PATH, "/bucket/ME1")

    with pytest.raises(FetchError) as failed:
        attachment_fetch(twilio.url + MEDIA_PATH, auth=(ACCOUNT[0], "wrong"), policy=MMS_POLICY)

    assert failed.value.permanent
    assert failed.value.status == 401
    assert "wrong" not in failed.value.message
    assert not Attachment.objects.exists()


def test_a_404_upstream_is_a_permanent_error_naming_the_url_and_the_status(storage):
    with pytest.raises(FetchError) as failed:
        attachment_fetch(storage.url + "/gone?token=secret", policy=MMS_POLICY)

    assert failed.value.permanent
    assert failed.value.status == 404
    assert failed.value.message == (
        f"Could not download {storage.url}/gone: the server answered 404 Not Found."
    )
    assert not Attachment.objects.exists()


def test_a_server_error_upstream_may_be_retried(storage):
    storage.routes["/busy"] = lambda h: h.send_error(503)

    with pytest.raises(FetchError) as failed:
        attachment_fetch(storage.url + "/busy", policy=MMS_POLICY)

    assert not failed.value.permanent
    assert failed.value.status == 503


def test_a_server_that_does_not_answer_in_time_may_be_retried(storage):
    def slow(handler):
        time.sleep(1)
        send(handler, samples.GIF, "image/gif")

    storage.routes["/slow"] = slow

    with pytest.raises(FetchError) as failed:
        attachment_fetch(storage.url + "/slow", policy=MMS_POLICY, timeout=0.2)

    assert not failed.value.permanent
    assert failed.value.message == f"Could not download {storage.url}/slow: no answer in time."


def test_a_connection_refused_may_be_retried():
    with pytest.raises(FetchError) as failed:
        attachment_fetch("http://127.0.0.1:9/ME1", policy=MMS_POLICY, timeout=1)

    assert not failed.value.permanent


def test_a_declared_length_over_the_cap_is_refused_before_reading(storage):
    storage.routes["/large"] = lambda h: send(h, samples.png_of_size(SIX_MB), "image/png")

    with pytest.raises(PayloadTooLarge) as refused:
        attachment_fetch(storage.url + "/large", policy=MMS_POLICY)

    assert refused.value.message == (
        f"The file at {storage.url}/large is 6,000,000 bytes; an MMS can carry at most 5 MB "
        "(5,000,000 bytes) in all."
    )
    assert not Attachment.objects.exists()


def test_a_body_without_length_is_stopped_at_the_cap(storage):
    sent = []

    def endless(handler):
        # HTTP/1.0: no Content-Length, the body ends when the connection closes.
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.end_headers()
        handler.wfile.write(samples.png())
        for _ in range(SIX_MB // 65536 + 1):
            handler.wfile.write(b"\x00" * 65536)
            sent.append(65536)

    storage.routes["/endless"] = endless

    with pytest.raises(PayloadTooLarge) as refused:
        attachment_fetch(storage.url + "/endless", policy=MMS_POLICY)

    assert refused.value.message == (
        f"The file at {storage.url}/endless is larger than an MMS can carry (5 MB, "
        "5,000,000 bytes, in all); the download was stopped."
    )
    assert not Attachment.objects.exists()


def test_a_fetched_file_is_held_to_the_policy_like_any_other(storage):
    storage.routes["/ME3"] = lambda h: send(h, samples.HEIC, "image/heic")

    with pytest.raises(ValidationError) as refused:
        attachment_fetch(storage.url + "/ME3", policy=MMS_POLICY)

    assert refused.value.message.startswith("ME3 is an image/heic file; an MMS can carry")
    assert not Attachment.objects.exists()


def test_too_many_redirects_are_an_error(storage):
    def loop(handler):
        handler.send_response(302)
        handler.send_header("Location", "/loop")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    storage.routes["/loop"] = loop

    with pytest.raises(FetchError) as failed:
        attachment_fetch(storage.url + "/loop", policy=MMS_POLICY)

    assert failed.value.message == f"Could not download {storage.url}/loop: more than 5 redirects."
    assert len(storage.requests) == 6


def test_a_received_mms_keeps_what_the_sender_sent_but_programs(storage):
    storage.routes["/ME4"] = lambda h: send(h, samples.HEIC, "image/heic")
    storage.routes["/ME5"] = lambda h: send(h, samples.EXE, "image/jpeg")

    attachment = attachment_fetch(storage.url + "/ME4", policy=MMS_RECEIVED_POLICY)
    with pytest.raises(ValidationError):
        attachment_fetch(storage.url + "/ME5", policy=MMS_RECEIVED_POLICY)

    assert (attachment.filename, attachment.content_type) == ("ME4.heic", "image/heic")
    assert Attachment.objects.get() == attachment


def test_unknown_bytes_keep_the_name_they_came_with(storage):
    storage.routes["/ME6"] = lambda h: send(h, b"\x00\x01\x02\x03", "application/octet-stream")

    attachment = attachment_fetch(storage.url + "/ME6", policy=EMAIL_POLICY)

    assert (attachment.filename, attachment.content_type) == ("ME6", "application/octet-stream")
