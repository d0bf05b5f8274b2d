"""How a stored file reads wherever a record lists its files: the API of both channels (an
MMS's media, an email's attachments) and the inbox's live events.

attachments.api.AttachmentSerializer documents the same shape for the OpenAPI schema.
"""

from typing import Any

from attachments.models import Attachment
from attachments.selectors import attachment_download_url

# The columns the shape reads, for callers that fetch attachments with .only(*FIELDS).
ATTACHMENT_FIELDS = ("id", "filename", "content_type", "size")


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    """``url`` opens the file for a signed-in person or a token holder (``/files/...``)."""
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": attachment_download_url(attachment),
    }
