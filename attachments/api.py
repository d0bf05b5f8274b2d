"""Files in the API, for the send endpoints of both channels.

A send takes files two ways: a multipart form, as a browser sends an ``<input type=file>``
(the field repeated once per file), or JSON, each file an object whose ``content`` is
base64. Either way the view hands the service a list of files it has not yet judged:
attachments.services checks their number, size and type (from the bytes) before anything
is stored.
"""

import base64
import binascii

from rest_framework import parsers, serializers

from attachments.models import Attachment
from attachments.selectors import attachment_download_url
from web.parsers import JSONParser

# The parsers of an endpoint that takes files: JSON (web.parsers, as everywhere) and
# multipart forms. A plain urlencoded form still answers 415: it cannot carry a file.
FILE_PARSER_CLASSES = [JSONParser, parsers.MultiPartParser]

# A name is cut to attachments.models.FILENAME_MAX_LENGTH when stored; this only keeps a
# megabyte-long "name" out of the error sentences.
_FILENAME_MAX_LENGTH = 1000


# Its valid data is (filename, bytes, declared type), the shape attachments.services takes.
class EncodedFileSerializer(serializers.Serializer):
    """One file in JSON: its name, and its bytes in base64."""

    filename = serializers.CharField(
        max_length=_FILENAME_MAX_LENGTH,
        help_text="The name the file is shown and downloaded with.",
    )
    content_type = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="Optional and not trusted: the type is detected from the bytes.",
    )
    content = serializers.CharField(
        trim_whitespace=False,
        help_text="The file's bytes in base64 (RFC 4648, standard alphabet; line breaks "
        "are ignored).",
    )

    def validate(self, data):
        name = data["filename"]
        try:
            content = base64.b64decode("".join(data["content"].split()), validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(
                {"content": f"{name}: 'content' is not valid base64."}
            ) from None
        return (name, content, data.get("content_type") or None)


def uploaded_files_field(*, help_text: str) -> serializers.ListField:
    """A multipart form's files, the field repeated once per file."""
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=False, use_url=False),
        required=False,
        help_text=help_text,
    )


def encoded_files_field(*, help_text: str) -> EncodedFileSerializer:
    """JSON's files: a list of ``{"filename", "content_type", "content"}``."""
    return EncodedFileSerializer(many=True, required=False, help_text=help_text)


# Documents (and renders the same JSON as) attachments.representation.attachment_data,
# which the API answers with.
class AttachmentSerializer(serializers.Serializer):
    """A file stored with a message or an email."""

    id = serializers.UUIDField()
    filename = serializers.CharField()
    content_type = serializers.CharField(help_text="Detected from the bytes when stored.")
    size = serializers.IntegerField(help_text="Bytes.")
    url = serializers.SerializerMethodField(
        help_text="Where a signed-in user or a token holder opens it: /files/<id>/<filename>."
    )

    def get_url(self, attachment: Attachment) -> str:
        return attachment_download_url(attachment)
