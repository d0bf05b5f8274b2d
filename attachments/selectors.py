"""Reading stored files: by id for signed-in people, by signed URL for providers.

A public URL (``attachment_public_url``) is what Twilio fetches an outbound MMS's media
from: Twilio cannot sign in, so the URL itself is the credential. It carries the file's id
signed with SECRET_KEY and the time it was made (``TimestampSigner``, with a salt of its
own so that no other signature Hatch makes can stand in for it), and it opens the file only
until ATTACHMENT_PUBLIC_URL_MAX_AGE seconds have passed: long enough for Twilio's fetch
and its retries, short enough that a URL found later in a log opens nothing.
"""

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

from attachments.models import Attachment

_PUBLIC_URL_SALT = "attachments.public-url"


def attachment_get(*, attachment_id: uuid.UUID, filename: str) -> Attachment | None:
    """The attachment with this id, if ``filename`` is its name (a link names both)."""
    return Attachment.objects.filter(id=attachment_id, filename=filename).first()


def attachment_download_url(attachment: Attachment) -> str:
    """Where a signed-in person opens the file: ``/files/<id>/<filename>``."""
    return reverse(
        "attachment-download",
        kwargs={"attachment_id": attachment.id, "filename": attachment.filename},
    )


def attachment_public_url(attachment: Attachment) -> str:
    """An absolute, unguessable URL that opens the file without sign-in, for a while.

    ``PUBLIC_BASE_URL/media/<signed token>/<filename>``: valid for
    ATTACHMENT_PUBLIC_URL_MAX_AGE seconds from now (see the module's docstring).
    """
    token = _signer().sign(attachment.id.hex)
    path = reverse("attachment-public", kwargs={"token": token, "filename": attachment.filename})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def attachment_for_public_token(*, token: str, filename: str) -> Attachment | None:
    """The attachment a public URL names, while its signature is valid and young enough."""
    try:
        value = _signer().unsign(token, max_age=settings.ATTACHMENT_PUBLIC_URL_MAX_AGE)
        attachment_id = uuid.UUID(hex=value)
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        return None
    return attachment_get(attachment_id=attachment_id, filename=filename)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_PUBLIC_URL_SALT)
