"""The API's JSON renderer: core.serialization's orjson output, the same bytes DRF wrote."""

from rest_framework.renderers import JSONRenderer

from core.serialization import json_bytes


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}):
            # The browsable API asks for indented JSON to show; people read it, not programs.
            return super().render(data, accepted_media_type, renderer_context)
        return json_bytes(data)
