"""Pieces of the OpenAPI schema that several endpoints share (drf-spectacular).

Each view describes itself with ``@extend_schema`` in its app's ``api.py``; what every
operation has in common lives here: the one error shape of ``web.exception_handler``, the
error responses by status code, and the headers of the send endpoints (``Idempotency-Key``,
``Retry-After``).

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        responses={200: SendMessageResponse, **errors(400, 401, 403, 409, 413, 415, 422, 429)},
    )
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema_serializer,
)
from rest_framework import serializers

from web.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


class ErrorSerializer(serializers.Serializer):
    """Every 4xx answer of the API (``web.exception_handler.exception_handler``)."""

    error = serializers.CharField(help_text="A sentence a person can act on.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=(
            'Validation errors only: the messages for each input field, e.g. {"to": ["..."]}; '
            '"non_field_errors" for the body as a whole.'
        ),
    )

    class Meta:
        ref_name = "Error"


# What each status means across the API. An operation lists the ones it can answer.
ERROR_DESCRIPTIONS = {
    400: (
        "Bad input: a field failed validation (`fields` names it), a query parameter has an "
        "unknown value, or the body is not valid JSON."
    ),
    401: (
        "No credentials, or a wrong token. Send `Authorization: Token <key>` "
        "(`manage.py drf_create_token <user>`) or sign in."
    ),
    403: (
        "Signed in with a session but without the CSRF header (`X-CSRFToken`) on a POST, "
        "or the user may not do this."
    ),
    404: "No record with this id (a malformed id is unknown too).",
    405: "The method is not allowed on this path.",
    409: "Well formed, but the state of things forbids it (e.g. the recipient opted out).",
    413: (
        "The request body is larger than its limit (DATA_UPLOAD_MAX_MEMORY_SIZE; "
        "UPLOAD_MAX_BODY_SIZE on the sends), or the files sent are more bytes in all than the "
        "message can carry."
    ),
    415: "The body is neither `application/json` nor, on the sends, `multipart/form-data`.",
    422: "This Idempotency-Key was already used by this user with a different request body.",
    429: "Too many requests from this user: wait `Retry-After` seconds.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The ``responses`` entries for these error statuses, all in the one error shape."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) chosen by the client. A repeat with the same key by the "
        "same user answers the first answer again and sends nothing; the same key with a "
        "different body is a 422."
    ),
)

RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before sending again.",
)

PAGE_SIZE = OpenApiParameter(
    name="page_size",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.QUERY,
    required=False,
    description=(
        f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}). "
        "Another value is a 400."
    ),
)
CURSOR = OpenApiParameter(
    name="cursor",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.QUERY,
    required=False,
    description="Where the page starts: copy it from the previous page's `next` link.",
)
PAGE_PARAMETERS = [PAGE_SIZE, CURSOR]


def page_of(name: str, key: str, item: type[serializers.Serializer]) -> type:
    """The shape of a keyset page (``web.pagination``): ``{key: [item, ...], "next": url}``.

    A serializer of its own, marked ``many=False``: drf-spectacular would otherwise take the
    page of a ``list`` action for one element of an array.
    """
    fields = {
        key: item(many=True),
        "next": serializers.URLField(
            allow_null=True, help_text="The next (older) page; null on the last one."
        ),
    }
    return extend_schema_serializer(many=False)(type(name, (serializers.Serializer,), fields))


def id_parameter(noun: str) -> OpenApiParameter:
    # drf-spectacular names the path's "pk" after the model's primary key: "id".
    return OpenApiParameter(
        name="id",
        type=OpenApiTypes.UUID,
        location=OpenApiParameter.PATH,
        description=f"The {noun}'s id (a UUID).",
    )


def only_client_api(endpoints):
    """drf-spectacular preprocessing hook: the schema is the contract of the client API.

    Provider webhooks (``/webhooks/...``) are Django views called by Twilio and SendGrid with
    their own signatures, not by clients; the DRF browsable API's root only lists links, and
    the schema does not describe itself.
    """
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith("/api/") and path not in ("/api/", "/api/schema/")
    ]


@login_required
def api_docs(request):
    """Swagger UI, served from Hatch's own static files (drf-spectacular-sidecar).

    Our own page rather than drf-spectacular's: that one carries an inline ``<style>`` and,
    unless split, an inline script, both refused by the Content-Security-Policy. Here the
    settings travel as data attributes and the start-up script is a static file.
    """
    return render(
        request,
        "hatch/api_docs.html",
        {"schema_url": reverse("api-schema")},
    )
