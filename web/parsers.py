"""The API's request parser: JSON only (hatch.settings REST_FRAMEWORK)."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, for which a body nested too deeply is bad JSON like any other.

    Python's parser recurses once per level: ``[[[[...]]]]`` some thousands of levels deep
    (a few kilobytes) raised RecursionError, which DRF let through as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None
