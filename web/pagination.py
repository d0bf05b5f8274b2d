"""Keyset (cursor) pagination over a (timestamp, id) pair, newest first.

Unlike offset pagination, fetching page 1,000 costs the same as page 1: the cursor names the
last row seen and the next page starts strictly after it, using the (time desc, id desc)
index of the list. Rows added while a client pages never shift or duplicate what it sees.
"""

import base64
import binascii
import json
import uuid
from datetime import datetime

from django.db.models import Q, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.errors import ValidationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _encode_cursor(moment: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([moment.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, row_id = json.loads(base64.urlsafe_b64decode(padded))
        parsed = datetime.fromisoformat(moment), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ValidationError(
            "'cursor' is not valid: use the 'next' link of the previous page.", field="cursor"
        ) from None
    if parsed[0].tzinfo is None:
        raise ValidationError("'cursor' is not valid.", field="cursor")
    return parsed


def page_size_from(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"'page_size' must be a whole number from 1 to {MAX_PAGE_SIZE}.", field="page_size"
        )
    return size


def page_cursor(request: Request) -> tuple[datetime, uuid.UUID] | None:
    """The ``(time, id)`` the requested page starts after; None for the first page.

    For lists that are not one queryset (a contact's timeline merges several)."""
    cursor = request.query_params.get("cursor")
    return _decode_cursor(cursor) if cursor else None


def page_url_after(request: Request, moment: datetime, row_id: uuid.UUID) -> str:
    """The URL of the page after the row ``(moment, row_id)``: this request's, cursor set."""
    return replace_query_param(
        request.build_absolute_uri(), "cursor", _encode_cursor(moment, row_id)
    )


class KeysetPagination:
    """Pages a queryset newest first on ``(time_field, id)``.

    ``results_key`` names the list in the response, e.g. ``{"conversations": [...], "next": url}``.
    """

    def __init__(self, *, time_field: str, results_key: str):
        self.time_field = time_field
        self.results_key = results_key

    def paginate(self, queryset: QuerySet, request: Request) -> tuple[list, str | None]:
        """Return the rows of the requested page and the URL of the next (older) one."""
        size = page_size_from(request)
        cursor = page_cursor(request)
        if cursor:
            moment, row_id = cursor
            # The first condition bounds the index range; the second breaks ties on time.
            queryset = queryset.filter(
                Q(**{f"{self.time_field}__lte": moment})
                & (Q(**{f"{self.time_field}__lt": moment}) | Q(id__lt=row_id))
            )
        rows = list(queryset.order_by(f"-{self.time_field}", "-id")[: size + 1])
        next_url = None
        if len(rows) > size:
            rows = rows[:size]
            last = rows[-1]
            # Rows are records or, from .values(), dicts.
            if isinstance(last, dict):
                moment, row_id = last[self.time_field], last["id"]
            else:
                moment, row_id = getattr(last, self.time_field), last.id
            next_url = page_url_after(request, moment, row_id)
        return rows, next_url

    def response(self, data: list, next_url: str | None) -> Response:
        return Response({self.results_key: data, "next": next_url})
