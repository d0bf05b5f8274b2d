"""The one error shape of Hatch's HTTP API: ``{"error": "...", "fields": {...}}``.

Every failure a client can cause answers 4xx with a sentence a person can act on; nothing
ever carries a traceback, SQL or a driver message.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError, TooManyRequests

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        response = _error_response(exc.message, exc.status_code, exc.fields)
        if isinstance(exc, TooManyRequests):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, RequestDataTooBig):
        return _error_response(body_too_large_message(), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        return _error_response("The request was malformed.", status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django logs it and web.views.server_error answers
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_messages(exc.detail)
        response.data = {"error": _summary(fields), "fields": fields}
    else:
        response.data = {"error": _first_message(exc.detail)}
    return response


def body_too_large_message() -> str:
    """What a 413 says, wherever it comes from (the API, a webhook, a page)."""
    return (
        "The request body is too large: at most "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."
    )


def _error_response(message: str, code: int, fields: dict | None = None) -> Response:
    data = {"error": message}
    if fields:
        data["fields"] = fields
    return Response(data, status=code)


def _field_messages(detail) -> dict[str, list[str]]:
    """Flatten DRF's nested validation detail into ``{"field": ["message", ...]}``."""
    if isinstance(detail, list):
        return {"non_field_errors": [str(item) for item in _flatten(detail)]}
    return {name: [str(item) for item in _flatten(value)] for name, value in detail.items()}


def _flatten(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield value


def _summary(fields: dict[str, list[str]]) -> str:
    parts = [
        message if name == "non_field_errors" else f"{name}: {message}"
        for name, messages in fields.items()
        for message in messages
    ]
    return "Invalid input. " + " ".join(parts)


def _first_message(detail) -> str:
    return str(next(_flatten(detail), "Request failed."))
