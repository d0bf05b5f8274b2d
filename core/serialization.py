"""JSON as Hatch writes it everywhere: the API's responses and the inbox's live events.

orjson writes datetimes, UUIDs and dicts natively and many times faster than the standard
library; the output is what DRF's serializers and JSONRenderer produced: times as ISO 8601
with their offset ("+00:00"), UUIDs as canonical strings, non-ASCII text as UTF-8. What
orjson cannot write (lazy translation strings in error messages, Decimals) goes through
DRF's encoder.
"""

from typing import Any

import orjson
from django.db.models import Model
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder().default


def json_bytes(data: Any) -> bytes:
    return orjson.dumps(data, default=_fallback)


def row_of(instance: Model, fields: tuple[str, ...]) -> dict[str, Any]:
    """The row of a record already in hand, as ``.values(*fields)`` would read it: the
    representation modules build JSON from rows, fetched or in hand alike."""
    return {name: getattr(instance, name) for name in fields}
