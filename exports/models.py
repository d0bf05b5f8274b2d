"""An export too large to stream in one request: written by a worker into a file that the
person who asked for it downloads when it is ready (exports.services)."""

import uuid

from django.conf import settings
from django.db import models

from core.models import TimestampedModel


class ExportChannel(models.TextChoices):
    """What ``?channel=`` narrows a messages export to; none: every channel."""

    SMS = "sms", "SMS"
    INTERNAL = "internal", "Internal"
    EMAIL = "email", "Email"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    # Done, and its file deleted since (a day after it was written: exports.services).
    EXPIRED = "expired", "Expired"


def export_path(job: "ExportJob", filename: str) -> str:
    """``exports/<year>/<month>/<id>.csv``: the download's name is made when it is served."""
    return job.created_at.strftime(f"exports/%Y/%m/{job.id}.csv")


class ExportJob(TimestampedModel):
    """A messages export run by a worker (exports.tasks.run_export_job).

    The rows are those of ``window_start`` (inclusive; null: from the first message) to
    ``window_end`` (exclusive: at the latest, when it was asked for), on ``channel`` ("":
    every channel). ``date_from`` and ``date_to`` are the days as asked, for the file's
    name. The row is kept once its file is deleted: who exported what, and when.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=ExportChannel.choices, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    # Counted when a worker starts it (the request only checked that it exceeds
    # EXPORT_STREAM_MAX_ROWS), then the rows written so far: the progress.
    row_count = models.PositiveIntegerField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    # How often a worker took it: one that died is taken again by the sweeper, up to a limit.
    attempt_count = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=export_path, max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ExportStatus.values), name="export_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=["", *ExportChannel.values]),
                name="export_channel_valid",
            ),
        ]
        indexes = [
            # The sweeper: the few jobs waiting for or held by a worker, stalest first.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="export_unfinished_idx",
            ),
            # The sweeper: the files to delete once they are old enough.
            models.Index(
                fields=["finished_at"],
                condition=models.Q(status="done"),
                name="export_done_idx",
            ),
        ]

    def __str__(self):
        return f"Messages export {self.id} ({self.get_status_display()})"
