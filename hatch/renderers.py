"""JSON for the API and the inbox's live events, written by orjson.

orjson writes datetimes, UUIDs and dicts natively and many times faster than the standard
library; the output is what DRF's serializers and JSONRenderer produced: times as ISO 8601
with their offset ("+00:00"), UUIDs as canonical strings, non-ASCII text as UTF-8. What
orjson cannot write (lazy translation strings in error messages, Decimals) goes through
DRF's encoder.
"""

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder().default


def json_bytes(data: Any) -> bytes:
    return orjson.dumps(data, default=_fallback)


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}):
            # The browsable API asks for indented JSON to show; people read it, not programs.
            return super().render(data, accepted_media_type, renderer_context)
        return json_bytes(data)
