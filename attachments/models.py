"""A stored file, shared by both channels (MMS media, email attachments).

The bytes live in the default storage (hatch.settings STORAGES: a folder, or an S3 bucket)
under a path made of the date and the row's id only: a client's file name never reaches
the storage, so it can neither choose nor guess where a file lands. The name a person sees
is ``filename``, sanitised by the service that stores the row (attachments.services).
Only attachments.services writes these rows.
"""

import uuid

from django.db import models
from django.utils import timezone

FILENAME_MAX_LENGTH = 255


def attachment_path(attachment: "Attachment", filename: str) -> str:
    """``attachments/<year>/<month>/<id>``: the client's name is ignored on purpose."""
    return timezone.now().strftime(f"attachments/%Y/%m/{attachment.id}")


class Attachment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    # What a person sees and downloads: no path separators, no control characters.
    filename = models.CharField(max_length=FILENAME_MAX_LENGTH)
    # Detected from the bytes when stored, never taken from the client.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(filename="")
                & ~models.Q(filename__contains="/")
                & ~models.Q(filename__contains="\\"),
                name="attachment_filename_is_a_plain_name",
            ),
        ]
        indexes = [
            # The admin's list, newest first. Everything else reaches a file by its id (the
            # serving views, the channel apps' many-to-many tables).
            models.Index(fields=["-created_at"], name="attachment_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.content_type}, {self.size} bytes)"
