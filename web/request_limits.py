"""Every request body is held to a limit before any view sees it: DATA_UPLOAD_MAX_MEMORY_SIZE,
or, for the few routes that take files, the route's own (ROUTE_BODY_LIMITS).

Django checks the limit only when something reads ``request.body`` or a form, and DRF's
parsers read the stream past that check; a body sent without Content-Length (chunked, as
daphne passes it on) was not even seen by DRF, which answered as if it were empty. Here a
body over the limit answers 413 at once, saying the limit (JSON for the API and webhooks,
a page for people), and a chunked body within it gets the Content-Length it arrived
without, so that every parser reads it.

daphne receives the whole body before Hatch runs, so a proxy in front should cap bodies
too (nginx ``client_max_body_size``, per route as here: docker-compose.yaml); this keeps
Hatch's own answer exact either way.
"""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

from web.views import bad_request

# The routes whose bodies may carry files, and the setting that holds each one's body.
# Every other route: DATA_UPLOAD_MAX_MEMORY_SIZE.
ROUTE_BODY_LIMITS = {
    # Files as base64 in JSON: 20 MB of email attachments is about 27 MB.
    "/api/send_message": "UPLOAD_MAX_BODY_SIZE",
    "/api/send_email": "UPLOAD_MAX_BODY_SIZE",
    # A CSV file of contacts (CONTACTS_IMPORT_MAX_FILE_SIZE, 5 MiB) in a multipart form.
    "/api/contacts/import": "CONTACTS_IMPORT_MAX_BODY_SIZE",
    # A whole inbound email, attachments included, as SendGrid's Inbound Parse posts it.
    "/webhooks/sendgrid/inbound": "SENDGRID_INBOUND_MAX_BODY_SIZE",
}


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        setting = ROUTE_BODY_LIMITS.get(request.path_info)
        if setting is not None:
            return self._read_within_route_limit(request, setting)
        declared = _declared_length(request)
        if declared > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return bad_request(request, RequestDataTooBig())
        if not declared and _is_chunked(request):
            try:
                body = request.body  # checks the buffered size against the limit
            except RequestDataTooBig as error:
                return bad_request(request, error)
            request.META["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)

    def _read_within_route_limit(self, request: HttpRequest, setting: str) -> HttpResponse:
        """Read the body here, within the route's limit, and keep it for everything after.

        Django holds ``request.body`` to DATA_UPLOAD_MAX_MEMORY_SIZE, read from the global
        settings when the body is first read; changing the setting for one request would
        change it for every thread of the process. But Django checks only when it fills
        its cache of the body (``HttpRequest._body``, re-served from a ``BytesIO`` stream):
        once that is filled, ``request.body``, ``request.POST`` and DRF's parsers all read
        the cached bytes and check nothing. So the body is read here, at most the route's
        limit plus one byte, and the cache filled with it, as ``HttpRequest.body`` itself
        does (tests/test_request_limits.py pins that a view reads it whole).

        Text fields of a multipart form are still held to DATA_UPLOAD_MAX_MEMORY_SIZE in
        all by Django's parser (files are not: they go to the upload handlers).
        """
        limit = getattr(settings, setting)
        if _declared_length(request) > limit:
            return _too_large(limit, setting)
        if _declared_length(request) or _is_chunked(request):
            body = request.read(limit + 1)
            if len(body) > limit:
                return _too_large(limit, setting)
            request._body = body
            request._stream = io.BytesIO(body)
            request.META["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _too_large(limit: int, setting: str) -> JsonResponse:
    # Worded as web.exception_handler.body_too_large_message, with the route's own limit.
    # Every route with a limit of its own is a program's (the API, a webhook): JSON.
    return JsonResponse(
        {"error": f"The request body is too large: at most {limit} bytes ({setting})."},
        status=413,
    )
