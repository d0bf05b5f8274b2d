"""The writes of an export: a background job for an export too large to stream within a
request, its run by a worker, and the sweeper's care of lost jobs and old files.

A request must end within the server's timeout (30 s under gunicorn, which kills the
worker otherwise), and an export streams at a rate measured by bench/export_memory.py:
above EXPORT_STREAM_MAX_ROWS rows it becomes a job. The worker writes the CSV into a
temporary file, a block at a time, then hands it to Django's default storage (a folder or
an S3 bucket, hatch.settings STORAGES), so that neither holds the export in memory.
"""

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exports.models import ExportJob, ExportStatus
from exports.ranges import ExportRange
from exports.selectors import message_export_count, message_export_rows
from exports.writing import csv_write

logger = logging.getLogger(__name__)

# A finished export's file is deleted this long after it was written: it holds every
# message of its range, and the person who asked has had a day to download it.
FILE_KEPT = timedelta(days=1)
# A running job writes its progress at every block (about a second's work); one silent
# for this long lost its worker, and the sweeper hands it to another.
RUNNING_SILENCE = timedelta(minutes=5)
# A job that lost its worker this many times is failed rather than taken again: it may be
# what kills the worker (memory, a time limit).
MAX_ATTEMPTS = 3
_FAILED = (
    "The export stopped on an error on the server (it is logged). Ask for it again; if it "
    "fails again, tell whoever runs Hatch."
)


def export_job_create(*, user: AbstractBaseUser, export_range: ExportRange) -> ExportJob:
    """Store a job for this export and enqueue its run once this commits."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            channel=export_range.channel,
            date_from=export_range.date_from,
            date_to=export_range.date_to,
            window_start=export_range.start,
            window_end=export_range.end,
        )
        transaction.on_commit(lambda: _enqueue_run(job.id), robust=True)
    return job


def export_job_range(job: ExportJob) -> ExportRange:
    return ExportRange(
        start=job.window_start,
        end=job.window_end,
        channel=job.channel,
        date_from=job.date_from,
        date_to=job.date_to,
    )


def export_job_run(*, job_id) -> str:
    """Write a queued job's file; answer its status ("done", "failed"), or "skipped" when
    it was not queued (another worker has it, or it is finished).

    The job is claimed with one compare-and-swap UPDATE, so that a task the sweeper
    enqueued again for a job that was only slow does nothing.
    """
    now = timezone.now()
    claimed = ExportJob.objects.filter(id=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING,
        started_at=now,
        updated_at=now,
        rows_written=0,
        attempt_count=F("attempt_count") + 1,
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.get(id=job_id)
    export_range = export_job_range(job)
    try:
        job.row_count = message_export_count(export_range)
        ExportJob.objects.filter(id=job.id).update(
            row_count=job.row_count, updated_at=timezone.now()
        )
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as out:
            written = csv_write(
                out,
                message_export_rows(export_range),
                on_block=lambda count: _progress(job.id, count),
            )
            out.seek(0)
            job.file.save(export_range.filename, File(out.buffer), save=False)
    except Exception:
        logger.exception("Export %s failed", job.id)
        ExportJob.objects.filter(id=job.id).update(
            status=ExportStatus.FAILED,
            error_message=_FAILED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return ExportStatus.FAILED
    finished = timezone.now()
    ExportJob.objects.filter(id=job.id).update(
        status=ExportStatus.DONE,
        file=job.file.name,
        rows_written=written,
        row_count=written,  # the rows as written, should a message have been deleted meanwhile
        finished_at=finished,
        updated_at=finished,
    )
    return ExportStatus.DONE


def export_jobs_sweep() -> int:
    """The sweeper's round (outbox.registry.register_sweep): enqueue again the jobs whose
    task was lost (queued for longer than OUTBOX_QUEUED_GRACE_SECONDS) or whose worker
    died (running, silent for RUNNING_SILENCE), and answer how many; fail those that lost
    their worker MAX_ATTEMPTS times; delete the files of exports finished FILE_KEPT ago."""
    now = timezone.now()
    lost = 0
    waiting = ExportJob.objects.filter(
        status=ExportStatus.QUEUED,
        updated_at__lt=now - timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS),
    ).values_list("id", flat=True)
    for job_id in waiting:
        # Touched, so that a job waiting behind a long queue is enqueued once per grace
        # period, not at every round.
        if ExportJob.objects.filter(id=job_id, status=ExportStatus.QUEUED).update(updated_at=now):
            _enqueue_run(job_id)
            lost += 1
    silent = ExportJob.objects.filter(
        status=ExportStatus.RUNNING, updated_at__lt=now - RUNNING_SILENCE
    ).values_list("id", "attempt_count", "updated_at")
    for job_id, attempts, seen in silent:
        # Compare-and-swap on the time last seen: a worker that wrote progress meanwhile
        # is alive and keeps its job.
        still = ExportJob.objects.filter(id=job_id, status=ExportStatus.RUNNING, updated_at=seen)
        if attempts >= MAX_ATTEMPTS:
            still.update(
                status=ExportStatus.FAILED,
                error_message=(
                    f"The export's worker stopped {attempts} times before it was done. "
                    "Ask for a shorter range (from, to) or one channel at a time."
                ),
                finished_at=now,
                updated_at=now,
            )
        elif still.update(status=ExportStatus.QUEUED, updated_at=now):
            _enqueue_run(job_id)
            lost += 1
    _delete_old_files(now)
    return lost


def _delete_old_files(now) -> None:
    for job in ExportJob.objects.filter(
        status=ExportStatus.DONE, finished_at__lt=now - FILE_KEPT
    ).only("id", "file"):
        if job.file:
            job.file.storage.delete(job.file.name)
        ExportJob.objects.filter(id=job.id).update(
            status=ExportStatus.EXPIRED, file="", updated_at=now
        )


def _progress(job_id, count: int) -> None:
    ExportJob.objects.filter(id=job_id).update(
        rows_written=F("rows_written") + count, updated_at=timezone.now()
    )


def _enqueue_run(job_id) -> None:
    from exports.tasks import run_export_job

    run_export_job.enqueue(str(job_id))
