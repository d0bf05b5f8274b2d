"""Requests that find the database unreachable answer 503, quickly, instead of a 500.

While PostgreSQL restarts (a failover, an upgrade, a crash) every query raises
OperationalError or InterfaceError, and a request waiting for a pooled connection gives up
after DB_POOL_TIMEOUT seconds with psycopg_pool.PoolTimeout (an OperationalError, which
Django wraps like any driver error). None of these is the request's fault, and retrying
shortly will work: programs get ``503 {"error": ...}`` with ``Retry-After``, people a page
that says so. The pool checks each connection before handing it out (hatch.settings), so
the first requests after the restart already succeed: nothing has to be restarted.
"""

import logging

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.deprecation import MiddlewareMixin

from web.views import MACHINE_PREFIXES, page_not_found

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait: about how long a PostgreSQL restart takes.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "The service is briefly unavailable (its database cannot be reached). "
    f"Try again in {RETRY_AFTER_SECONDS} seconds."
)
_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, _UNAVAILABLE_ERRORS):
            return None  # any other error is a bug: Django's 500 handling reports it
        # One line, no traceback: an outage makes thousands of these.
        logger.warning(
            "Database unavailable for %s %s: %s: %s",
            request.method,
            request.path,
            type(exception).__name__,
            str(exception).splitlines()[0] if str(exception) else "",
        )
        return database_unavailable_response(request)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(MACHINE_PREFIXES):
        response = JsonResponse({"error": UNAVAILABLE_MESSAGE}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class MachineNotFoundMiddleware(MiddlewareMixin):
    """A 404 under /api/, /webhooks/ or /health is JSON in every mode.

    Outside DEBUG, handler404 (web.views.page_not_found) answers JSON already; with DEBUG
    Django answers an unmatched URL (a malformed id, say) with its technical HTML page
    instead, which breaks the API's own error schema for every client in development.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            response.status_code == 404
            and request.path.startswith(MACHINE_PREFIXES)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return page_not_found(request, None)
        return response
