"""Every request body is held to DATA_UPLOAD_MAX_MEMORY_SIZE before any view sees it.

Django checks the limit only when something reads ``request.body`` or a form, and DRF's
parsers read the stream past that check; a body sent without Content-Length (chunked, as
daphne passes it on) was not even seen by DRF, which answered as if it were empty. Here a
body over the limit answers 413 at once, saying the limit (JSON for the API and webhooks,
a page for people), and a chunked body within it gets the Content-Length it arrived
without, so that every parser reads it.

daphne receives the whole body before Hatch runs, so a proxy in front should cap bodies
too (nginx ``client_max_body_size``); this keeps Hatch's own answer exact either way.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from web.views import bad_request


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return bad_request(request, RequestDataTooBig())
        if not declared and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            try:
                body = request.body  # checks the buffered size against the limit
            except RequestDataTooBig as error:
                return bad_request(request, error)
            request.META["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)
