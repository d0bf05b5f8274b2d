"""A local imitation of the Twilio and SendGrid REST endpoints Hatch uses.

The real SDKs are pointed at it in tests, fault-injection tests and benchmarks. Standard
library only; ``messaging.segments`` (pure Python) computes ``num_segments``.

Endpoints::

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json              Twilio: send an SMS
    GET  /2010-04-01/Accounts/{AccountSid}/Messages.json              Twilio: list them
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json  Twilio: fetch one
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{MediaSid}
                                         Twilio: an inbound MMS's media (add_twilio_media)
    GET  http://localhost:{port}/twilio-media-storage/{token}   where that media redirects
    POST /v3/mail/send                                                 SendGrid: send an email

Anything else is a 404 (in the provider's error shape when the path is under its prefix).

Usage::

    with FakeProviders() as fake:
        fake.script("twilio", Reply.twilio_error(400, 21211, "Invalid 'To' Phone Number"))
        fake.set_mode("sendgrid", Reply.sendgrid_error(503, "Service Unavailable"))
        ...
        fake.twilio_messages()  # the delivered sends, as RecordedRequest
        fake.sendgrid_mails()[0].mail_headers()  # {"Message-ID": "<...>", "In-Reply-To": ...}
        fake.sendgrid_mails()[0].mail_attachments()  # [{"filename", "type", "content": bytes}]

Pointing the real SDKs at it (checked against twilio 9.13 / sendgrid 6.12)::

    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(fake.account_sid, fake.auth_token, http_client=TwilioHttpClient(timeout=2))
    client.api.base_url = fake.base_url  # Domain.absolute_url() builds every Api URL from it
    client.edge = client.region = None   # else TWILIO_EDGE/TWILIO_REGION rewrite the host

``client.api`` is created once per Client and cached, and ``client.messages`` goes through
it, so setting ``base_url`` on it is enough for the Messages resource. (Other Twilio
domains, e.g. ``client.messaging``, have their own ``base_url``; this fake does not serve
them.) ``TwilioHttpClient(timeout=...)`` is the connect and read timeout in seconds.

::

    from sendgrid import SendGridAPIClient

    sg = SendGridAPIClient(fake.api_key, host=fake.base_url)
    sg.client.timeout = 2  # copied to every child client python_http_client builds

Neither SDK bypasses proxies for 127.0.0.1 by itself: if HTTP_PROXY is set in the
environment, NO_PROXY must include 127.0.0.1.

Faults: ``script(provider, *replies)`` queues one-shot replies consumed in order by that
provider's next send requests (POST); ``set_mode(provider, reply)`` answers every request
to that provider's endpoints (sends, Twilio fetches and lists) with ``reply`` until
``set_mode(provider, None)``. Authentication is checked first (a 401 consumes nothing), then
a scripted reply, then the mode, then the normal behaviour. A reply with ``status=None``
(``Reply.hang``) answers normally after its delay, so the send IS delivered even when the
client has given up: a timed-out request is ambiguous, as with the real providers.
``Reply.reply_lost`` accepts the send at once and answers late (the answer a timed-out
client never reads); ``Reply.stall`` waits, then hangs up without accepting anything.

Twilio's list (``client.messages.list(to=..., from_=..., date_sent_after=...)``) answers
newest first, in Twilio's page shape (``messages``, ``page``, ``page_size``, ``uri``,
``first_page_uri``, ``next_page_uri``, ``previous_page_uri``, ``start``, ``end``), with
``PageSize`` (default 50, at most 1000) and ``Page``/``PageToken`` for the next pages. The
``DateSent`` filters compare dates (``YYYY-MM-DD``) or, when the SDK sends a full
timestamp, the time; a message the fake has not marked sent counts as sent when it was
created (the fake hands every message over at once).

Media, as Twilio serves an inbound MMS's (``add_twilio_media(content, content_type)``
returns its MediaUrl): the URL asks for HTTP Basic with the account SID and auth token (401
without; Twilio enforces it on every media URL) and answers with a 307 redirect to the
file's storage, on another host name (``localhost``), where it is served without
credentials, as Twilio's redirect to its storage is; requests does not carry the
credentials there (``twilio_media_requests()`` shows what arrived). ``delete_twilio_media``
makes the URL answer 404, as after Twilio deleted it. The media requests are the
"twilio_media" provider: ``script("twilio_media", ...)`` answers the next media GETs
(storage excluded), ``set_mode("twilio_media", ...)`` all of them.

Outbound media: a send's ``MediaUrl`` values are recorded with it
(``twilio_sent_media_urls()``); like Twilio, the fake does not need them to answer.

Run standalone: ``python -m testing.fake_providers --port 9010`` (Ctrl-C to stop).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from messaging.segments import count_segments

__all__ = ["DEFAULT_ACCOUNT_SID", "PROVIDERS", "FakeProviders", "RecordedRequest", "Reply"]

PROVIDERS = ("twilio", "sendgrid", "twilio_media")
DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2

TWILIO_API_VERSION = "2010-04-01"
_TWILIO_PREFIX = f"/{TWILIO_API_VERSION}/"
_SENDGRID_PREFIX = "/v3/"
_MEDIA_STORAGE_PREFIX = "/twilio-media-storage/"
_SENDGRID_SEND_PATH = "/v3/mail/send"
_SENDGRID_AUTH_MESSAGE = "The provided authorization grant is invalid, expired, or revoked"
_SENDGRID_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
_JSON = "application/json; charset=utf-8"


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """A canned answer for ``FakeProviders.script`` / ``set_mode``.

    ``status=None`` means "answer normally" (after ``delay``). Otherwise the response is
    ``status`` with ``json`` (serialised) or ``body`` (raw bytes/str) and ``headers``.
    ``drop=True`` closes the connection without any response (after ``delay``).
    """

    status: int | None = None
    json: Any = None
    body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    accept_first: bool = False  # with status=None: accept (store) before the delay

    @classmethod
    def twilio_error(
        cls,
        status: int,
        code: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        return cls(
            status=status,
            json=twilio_error_json(status, code, message),
            headers=dict(headers or {}),
            delay=delay,
        )

    @classmethod
    def sendgrid_error(
        cls,
        status: int,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        return cls(
            status=status,
            json=sendgrid_error_json(message, field=field),
            headers=dict(headers or {}),
            delay=delay,
        )

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Sleep ``seconds``, then answer normally (a shorter client timeout sees a timeout)."""
        return cls(delay=seconds)

    @classmethod
    def disconnect(cls, delay: float = 0.0) -> Reply:
        """Close the connection without answering (after ``delay``)."""
        return cls(drop=True, delay=delay)

    @classmethod
    def stall(cls, seconds: float) -> Reply:
        """Wait ``seconds`` and hang up without accepting: a provider stuck before the send."""
        return cls.disconnect(delay=seconds)

    @classmethod
    def reply_lost(cls, seconds: float) -> Reply:
        """Accept a send at once, answer ``seconds`` later: past a client's timeout, the
        provider has the message and the client does not know it."""
        return cls(delay=seconds, accept_first=True)


def twilio_error_json(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def sendgrid_error_json(message: str, *, field: str | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "field": field, "help": None}]}


# --------------------------------------------------------------------------- recording


@dataclass
class RecordedRequest:
    """One request the fake received, and what it answered."""

    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # as sent; use header() for case-insensitive access
    body: bytes
    form: dict[str, list[str]] | None  # form-encoded bodies (Twilio), via parse_qs
    json: Any  # JSON bodies (SendGrid); None if absent or not JSON
    basic_auth: tuple[str, str] | None
    provider: str | None  # "twilio", "sendgrid" or None (unknown path)
    timestamp: float  # time.monotonic() when the request was read
    status: int | None = None  # None: connection dropped without a response
    response_json: Any = None
    delivered: bool = False  # True only for a normal successful send
    message_id: str | None = None  # Twilio sid / SendGrid X-Message-Id when delivered
    fault: Reply | None = None  # the scripted or mode reply that answered it, if any

    def header(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def field(self, name: str, default: str | None = None) -> str | None:
        """First value of a form field (Twilio requests)."""
        values = (self.form or {}).get(name)
        return values[0] if values else default

    def mail_headers(self) -> dict[str, str]:
        """The headers a SendGrid send asked for, as the message would carry them: the
        mail-wide ``headers``, then the first personalization's, which override them."""
        if not isinstance(self.json, dict):
            return {}
        headers = dict(self.json.get("headers") or {})
        personalizations = self.json.get("personalizations") or [{}]
        headers.update(personalizations[0].get("headers") or {})
        return headers

    def mail_attachments(self) -> list[dict[str, Any]]:
        """The files a SendGrid send carried: each attachment object as sent, with its
        ``content`` decoded from base64 to bytes."""
        if not isinstance(self.json, dict):
            return []
        return [
            {**attachment, "content": base64.b64decode(attachment.get("content", ""))}
            for attachment in self.json.get("attachments") or []
        ]


# --------------------------------------------------------------------------- server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    fake: FakeProviders

    def handle_error(self, request, client_address) -> None:
        # A client that timed out and hung up makes the write fail: that is expected.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' connection pool expects
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
    server: _Server

    def version_string(self) -> str:
        return "FakeProviders/1.0"

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    do_PUT = do_POST
    do_PATCH = do_POST
    do_DELETE = do_GET
    do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        body = self._read_body()
        try:
            response = self.server.fake._handle(self, body)
        except Exception as exc:  # a bug in the fake: say so rather than hang up
            response = _json_response(500, {"error": "fake server error", "detail": repr(exc)})
        if response is None:  # scripted disconnect
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers, payload = response
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload and self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True


_Response = tuple[int, dict[str, str], bytes]


def _json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> _Response:
    return status, {"Content-Type": _JSON, **(headers or {})}, json.dumps(data).encode()


def _rfc2822_now() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


class FakeProviders:
    """The fake Twilio + SendGrid server. Thread-safe; use as a context manager."""

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = "test-auth-token",  # noqa: S107 - a fixture credential
        api_key: str = "SG.test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        media_storage_host: str = "localhost",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_key = api_key
        self.host = host
        self.port = port
        # Another name for this server: the host Twilio's media redirect leads to.
        self.media_storage_host = media_storage_host
        self._media: dict[str, tuple[bytes, str]] = {}  # media path -> (content, type)
        self._media_storage: dict[str, str] = {}  # storage token -> media path
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._scripts: dict[str, deque[Reply]] = {p: deque() for p in PROVIDERS}
        self._modes: dict[str, Reply | None] = dict.fromkeys(PROVIDERS)
        self._messages: dict[str, dict[str, Any]] = {}
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeProviders:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.fake = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-providers-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a delay
        server.shutdown()
        server.server_close()
        # Idle keep-alive connections would otherwise go on being served by their threads.
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeProviders:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---- recording

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def twilio_messages(self) -> list[RecordedRequest]:
        """Successful (normally answered) Twilio sends, in arrival order."""
        return [r for r in self.requests if r.provider == "twilio" and r.delivered]

    def sendgrid_mails(self) -> list[RecordedRequest]:
        """Successful (normally answered) SendGrid sends, in arrival order."""
        return [r for r in self.requests if r.provider == "sendgrid" and r.delivered]

    def twilio_sent_media_urls(self) -> list[list[str]]:
        """The ``MediaUrl`` values of each successful Twilio send, in arrival order."""
        return [(r.form or {}).get("MediaUrl", []) for r in self.twilio_messages()]

    def twilio_media_requests(self) -> list[RecordedRequest]:
        """The requests for inbound media: the MediaUrls and their storage, in order."""
        return [r for r in self.requests if r.provider == "twilio_media"]

    def clear(self) -> None:
        """Forget recorded requests (stored Twilio messages stay fetchable)."""
        with self._lock:
            self._requests.clear()

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests are recorded; raise TimeoutError if not.

        A request is recorded once its answer is decided, i.e. after any delay.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"{len(self._requests)} requests recorded, wanted {count}")
            return list(self._requests)

    # ---- faults

    def script(self, provider: str, *replies: Reply) -> None:
        """Queue one-shot replies for the provider's next send requests, in order."""
        self._check_provider(provider)
        with self._lock:
            self._scripts[provider].extend(replies)

    def set_mode(self, provider: str, reply: Reply | None) -> None:
        """Answer every request to the provider with ``reply`` (None: back to normal)."""
        self._check_provider(provider)
        with self._lock:
            self._modes[provider] = reply

    def reset_faults(self) -> None:
        with self._lock:
            for provider in PROVIDERS:
                self._scripts[provider].clear()
                self._modes[provider] = None

    def pending_script(self, provider: str) -> int:
        self._check_provider(provider)
        with self._lock:
            return len(self._scripts[provider])

    # ---- Twilio message store (for reconciliation tests)

    def twilio_message(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            message = self._messages.get(sid)
            return _public(message) if message else None

    def update_twilio_message(self, sid: str, **fields: Any) -> dict[str, Any]:
        """Change a stored message, e.g. ``status="delivered"`` or ``error_code=30007``."""
        with self._lock:
            message = self._messages[sid]
            message.update(fields)
            message["date_updated"] = _rfc2822_now()
            return _public(message)

    # ---- Twilio media (an inbound MMS's)

    def add_twilio_media(
        self, content: bytes, content_type: str, *, message_sid: str | None = None
    ) -> str:
        """Store a media file as Twilio does for an MMS it received; return its MediaUrl."""
        message_sid = message_sid or "MM" + uuid.uuid4().hex
        path = (
            f"{_TWILIO_PREFIX}Accounts/{self.account_sid}/Messages/{message_sid}"
            f"/Media/ME{uuid.uuid4().hex}"
        )
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._media[path] = (content, content_type)
            self._media_storage[token] = path
        return f"{self.base_url}{path}"

    def delete_twilio_media(self, url: str) -> None:
        """Delete a media file, as Twilio does (its URL then answers 404)."""
        with self._lock:
            self._media.pop(urlsplit(url).path, None)

    # ---- internals

    @staticmethod
    def _check_provider(provider: str) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {PROVIDERS}, not {provider!r}")

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _handle(self, handler: _Handler, body: bytes) -> _Response | None:
        split = urlsplit(handler.path)
        headers = dict(handler.headers.items())
        record = RecordedRequest(
            method=handler.command,
            path=split.path,
            query=split.query,
            headers=headers,
            body=body,
            form=None,
            json=None,
            basic_auth=_basic_auth(handler.headers.get("Authorization")),
            provider=None,
            timestamp=time.monotonic(),
        )
        content_type = (handler.headers.get("Content-Type") or "").lower()
        if body and "application/x-www-form-urlencoded" in content_type:
            record.form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        elif body and "json" in content_type:
            with contextlib.suppress(ValueError):
                record.json = json.loads(body)

        response = None
        try:
            response, reply = self._route(record, handler)
            record.fault = reply
            if reply is not None and reply.accept_first and callable(response):
                response = response()  # accepted now; the answer leaves after the delay
            if reply is not None and reply.delay > 0:
                self._stopping.wait(reply.delay)
            if reply is not None and reply.drop:
                response = None
            elif reply is not None and reply.status is not None:
                response = _reply_response(reply)
            elif callable(response):  # the normal answer, produced after any delay
                response = response()
        finally:
            if response is not None and not callable(response):
                record.status = response[0]
                if record.response_json is None and response[1].get("Content-Type") == _JSON:
                    record.response_json = json.loads(response[2])
            with self._lock:
                self._requests.append(record)
                self._lock.notify_all()
        return response

    def _route(self, record: RecordedRequest, handler: _Handler):
        """Return (response or deferred normal-response callable, fault reply or None)."""
        path, method = record.path, record.method
        if path.startswith(_TWILIO_PREFIX):
            record.provider = "twilio"
            parts = path[len(_TWILIO_PREFIX) :].split("/")
            # Accounts/{sid}/Messages.json  or  Accounts/{sid}/Messages/{MessageSid}.json
            # or Accounts/{sid}/Messages/{MessageSid}/Media/{MediaSid}
            is_media = (
                len(parts) == 6
                and parts[2] == "Messages"
                and parts[4] == "Media"
                and method in ("GET", "HEAD")
            )
            if is_media:
                return self._twilio_media_route(record, parts)
            is_send = len(parts) == 3 and parts[2] == "Messages.json" and method == "POST"
            is_list = len(parts) == 3 and parts[2] == "Messages.json" and method == "GET"
            is_fetch = (
                len(parts) == 4
                and parts[2] == "Messages"
                and parts[3].endswith(".json")
                and method == "GET"
            )
            if parts[0] != "Accounts" or not (is_send or is_fetch or is_list):
                return _twilio_not_found(path), None
            if record.basic_auth != (self.account_sid, self.auth_token):
                return _twilio_unauthorized(), None
            if parts[1] != self.account_sid:
                return _twilio_not_found(path), None
            reply = self._fault("twilio", scripted=is_send)
            if is_send:
                return (lambda: self._twilio_send(record)), reply
            if is_list:
                return (lambda: self._twilio_list(record)), reply
            sid = parts[3][: -len(".json")]
            return (lambda: self._twilio_fetch(sid, path)), reply
        if path.startswith(_SENDGRID_PREFIX):
            record.provider = "sendgrid"
            if path.rstrip("/") != _SENDGRID_SEND_PATH or method != "POST":
                return _json_response(
                    404, {"errors": [{"field": None, "message": "not found"}]}
                ), None
            if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
                return _json_response(401, sendgrid_error_json(_SENDGRID_AUTH_MESSAGE)), None
            return (lambda: self._sendgrid_send(record)), self._fault("sendgrid", scripted=True)
        if path.startswith(_MEDIA_STORAGE_PREFIX) and method in ("GET", "HEAD"):
            record.provider = "twilio_media"
            return self._twilio_media_storage(path[len(_MEDIA_STORAGE_PREFIX) :]), None
        return _json_response(404, {"error": "not found", "path": path}), None

    def _twilio_media_route(self, record: RecordedRequest, parts: list[str]):
        record.provider = "twilio_media"
        if record.basic_auth != (self.account_sid, self.auth_token):
            return _twilio_unauthorized(), None
        if parts[1] != self.account_sid:
            return _twilio_not_found(record.path), None
        return (lambda: self._twilio_media(record.path)), self._fault("twilio_media", scripted=True)

    def _twilio_media(self, path: str) -> _Response:
        with self._lock:
            found = path in self._media
            token = next((t for t, p in self._media_storage.items() if p == path), None)
        if not found or token is None:
            return _twilio_not_found(path)
        location = f"http://{self.media_storage_host}:{self.port}{_MEDIA_STORAGE_PREFIX}{token}"
        return 307, {"Location": location, "Content-Type": "text/plain"}, b""

    def _twilio_media_storage(self, token: str) -> _Response:
        with self._lock:
            media = self._media.get(self._media_storage.get(token, ""))
        if media is None:
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        content, content_type = media
        return 200, {"Content-Type": content_type}, content

    def _fault(self, provider: str, *, scripted: bool) -> Reply | None:
        with self._lock:
            if scripted and self._scripts[provider]:
                return self._scripts[provider].popleft()
            return self._modes[provider]

    def _twilio_send(self, record: RecordedRequest) -> _Response:
        def first(name: str) -> str | None:
            return record.field(name)

        to, from_, service = first("To"), first("From"), first("MessagingServiceSid")
        body, media = first("Body"), (record.form or {}).get("MediaUrl", [])
        error = None
        if not to:
            error = (21604, "A 'To' phone number is required.")
        elif not from_ and not service:
            error = (21603, "A 'From' phone number is required.")
        elif not body and not media and not first("ContentSid"):
            error = (21602, "Message body is required.")
        if error:
            record.response_json = twilio_error_json(400, *error)
            return _json_response(400, record.response_json)

        sid = "SM" + uuid.uuid4().hex
        uri = f"/{TWILIO_API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        now = _rfc2822_now()
        message = {
            "account_sid": self.account_sid,
            "api_version": TWILIO_API_VERSION,
            "body": body or "",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": str(len(media)),
            "num_segments": str(count_segments(body or "").segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        with self._lock:
            self._messages[sid] = {**message, "_order": len(self._messages)}
        record.delivered, record.message_id, record.response_json = True, sid, message
        return _json_response(201, message, {"Twilio-Request-Id": "RQ" + uuid.uuid4().hex})

    def _twilio_list(self, record: RecordedRequest) -> _Response:
        query = parse_qs(record.query, keep_blank_values=True)

        def param(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        try:
            page_size = min(int(param("PageSize") or 50), 1000)
            page = int(param("Page") or 0)
            sent_on = _date_filter(param("DateSent"))
            sent_before = _date_filter(param("DateSent<"))
            sent_after = _date_filter(param("DateSent>"))
        except ValueError as error:
            return _json_response(400, twilio_error_json(400, 20001, str(error)))
        if page_size < 1 or page < 0:
            return _json_response(400, twilio_error_json(400, 20001, "Invalid paging"))
        to, from_ = param("To"), param("From")
        with self._lock:
            stored = [dict(message) for message in self._messages.values()]
        matches = []
        for message in stored:
            if to and message["to"] != to:
                continue
            if from_ and message["from"] != from_:
                continue
            sent = parsedate_to_datetime(message["date_sent"] or message["date_created"])
            if sent_on and not sent_on.matches(sent, "="):
                continue
            if sent_before and not sent_before.matches(sent, "<"):
                continue
            if sent_after and not sent_after.matches(sent, ">"):
                continue
            matches.append((sent, message["_order"], message))
        # Newest first, as Twilio lists.
        matches.sort(key=lambda item: (item[0], item[1]), reverse=True)
        start = page * page_size
        chunk = [_public(message) for _, _, message in matches[start : start + page_size]]

        base = record.path
        filters = [(name, value) for name, value in (("To", to), ("From", from_)) if value] + [
            (name, param(name)) for name in ("DateSent", "DateSent<", "DateSent>") if param(name)
        ]

        def uri(number: int, token: bool = False) -> str:
            pairs = [*filters, ("PageSize", str(page_size)), ("Page", str(number))]
            if token:
                pairs.append(("PageToken", f"PA{uuid.uuid4().hex}"))
            return f"{base}?{urlencode(pairs)}"

        has_next = start + page_size < len(matches)
        payload = {
            "end": start + len(chunk) - 1 if chunk else start,
            "first_page_uri": uri(0),
            "messages": chunk,
            "next_page_uri": uri(page + 1, token=True) if has_next else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1, token=True) if page > 0 else None,
            "start": start,
            "uri": uri(page),
        }
        return _json_response(200, payload, {"Twilio-Request-Id": "RQ" + uuid.uuid4().hex})

    def _twilio_fetch(self, sid: str, path: str) -> _Response:
        message = self.twilio_message(sid)
        if message is None:
            return _twilio_not_found(path)
        return _json_response(200, message, {"Twilio-Request-Id": "RQ" + uuid.uuid4().hex})

    def _sendgrid_send(self, record: RecordedRequest) -> _Response:
        error = _sendgrid_validate(record.json)
        if error:
            record.response_json = sendgrid_error_json(error[1], field=error[0])
            record.response_json["errors"][0]["help"] = _SENDGRID_HELP
            return _json_response(400, record.response_json)
        message_id = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]
        record.delivered, record.message_id = True, message_id
        return 202, {"X-Message-Id": message_id}, b""


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Twilio shows it (without the fake's own bookkeeping)."""
    return {key: value for key, value in message.items() if not key.startswith("_")}


@dataclass(frozen=True)
class _DateFilter:
    """One DateSent filter: a whole day (``YYYY-MM-DD``) or an instant (a full timestamp)."""

    day: date | None
    instant: datetime | None

    def matches(self, sent: datetime, op: str) -> bool:
        if self.instant is not None:
            value, bound = sent, self.instant
        else:
            value, bound = sent.date(), self.day
        if op == "<":
            return value <= bound
        if op == ">":
            return value >= bound
        return value == bound


def _date_filter(text: str | None) -> _DateFilter | None:
    """Twilio takes ``YYYY-MM-DD``; the SDK sends ``YYYY-MM-DDTHH:MM:SSZ`` for a datetime."""
    if not text:
        return None
    text = text.strip().lstrip("<>=")
    try:
        if len(text) == 10:
            return _DateFilter(day=date.fromisoformat(text), instant=None)
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Invalid DateSent filter: {text!r}") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return _DateFilter(day=None, instant=instant)


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


def _reply_response(reply: Reply) -> _Response:
    assert reply.status is not None
    if reply.json is not None:
        return _json_response(reply.status, reply.json, reply.headers)
    payload = reply.body.encode() if isinstance(reply.body, str) else (reply.body or b"")
    headers = {"Content-Type": "text/plain; charset=utf-8"} if payload else {}
    return reply.status, {**headers, **reply.headers}, payload


def _twilio_not_found(path: str) -> _Response:
    return _json_response(
        404, twilio_error_json(404, 20404, f"The requested resource {path} was not found")
    )


def _twilio_unauthorized() -> _Response:
    return _json_response(
        401,
        twilio_error_json(401, 20003, "Authenticate"),
        {"WWW-Authenticate": 'Basic realm="Twilio API"'},
    )


_SG_ERRORS = {
    "personalizations": (
        "The personalizations field is required and must have at least one personalization."
    ),
    "personalizations.0.to": (
        "The to array is required for all personalization objects, and must have at least one "
        "email object with a valid email address."
    ),
    "from": (
        "The from object must be provided for every email send. It is an object that requires "
        "the email parameter, but may also contain a name parameter."
    ),
    "subject": (
        "The subject is required. You can get around this requirement if you use a template "
        "with a subject defined or if every personalization has a subject defined."
    ),
    "content": (
        "Unless a valid template_id is provided, the content parameter is required. There must "
        "be at least one defined content block."
    ),
    "headers": (
        "The headers must be an object of strings, and none may be a reserved header or hold "
        "a line break."
    ),
}


def _sendgrid_validate(payload: Any) -> tuple[str | None, str] | None:
    """A few of SendGrid's 400s, enough to catch a malformed payload."""
    if not isinstance(payload, dict):
        return None, "Bad Request"
    problem = None
    personalizations = payload.get("personalizations")
    templated = bool(payload.get("template_id"))
    if not isinstance(personalizations, list) or not personalizations:
        problem = "personalizations"
    elif not all(isinstance(p, dict) and p.get("to") for p in personalizations):
        problem = "personalizations.0.to"
    elif not isinstance(payload.get("from"), dict) or not payload["from"].get("email"):
        problem = "from"
    elif not (
        templated or payload.get("subject") or all(p.get("subject") for p in personalizations)
    ):
        problem = "subject"
    elif not templated and not payload.get("content"):
        problem = "content"
    elif not _sendgrid_headers_valid(payload):
        problem = "headers"
    return (problem, _SG_ERRORS[problem]) if problem else None


# The headers SendGrid sets itself and refuses to take from a send (its v3 Mail Send docs).
_SENDGRID_RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "Content-Type",
        "Content-Transfer-Encoding",
        "To",
        "From",
        "Subject",
        "Reply-To",
        "CC",
        "BCC",
    )
)


def _sendgrid_headers_valid(payload: dict[str, Any]) -> bool:
    """Headers are an object of strings, none reserved, none holding a line break (which
    would add headers of its own to the message: SendGrid refuses them)."""
    objects = [payload.get("headers")] + [
        p.get("headers") for p in payload["personalizations"] if isinstance(p, dict)
    ]
    for headers in objects:
        if headers is None:
            continue
        if not isinstance(headers, dict):
            return False
        for name, value in headers.items():
            if not isinstance(value, str) or name.lower() in _SENDGRID_RESERVED_HEADERS:
                return False
            if any(char in name + value for char in "\r\n"):
                return False
    return True


# --------------------------------------------------------------------------- CLI


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m testing.fake_providers",
        description="Serve fake Twilio and SendGrid APIs until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9010, help="0 picks a free port")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default="test-auth-token")
    parser.add_argument("--api-key", default="SG.test-key")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="answer every request after this long, as the real APIs do (Twilio: 0.1-0.3 s)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    fake = FakeProviders(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        api_key=args.api_key,
        host=args.host,
        port=args.port,
    ).start()
    if args.latency > 0:
        for provider in ("twilio", "sendgrid"):
            fake.set_mode(provider, Reply.hang(args.latency))
    print(fake.base_url, flush=True)
    print(
        f"twilio: account_sid={fake.account_sid} auth_token={fake.auth_token}; "
        f"sendgrid: api_key={fake.api_key}",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
