"""An export job as the API shows it."""

from typing import Any

from django.urls import reverse

from exports.models import ExportJob, ExportStatus
from exports.services import FILE_KEPT


def export_job_data(job: ExportJob, *, absolute_uri) -> dict[str, Any]:
    """``absolute_uri``: the request's ``build_absolute_uri``, for the links."""
    done = job.status == ExportStatus.DONE
    total = job.row_count
    return {
        "id": job.id,
        "status": job.status,
        "channel": job.channel or None,
        "from": job.date_from,
        "to": job.date_to,
        "window_start": job.window_start,
        "window_end": job.window_end,
        "row_count": total,
        "rows_written": job.rows_written,
        "progress": 1.0 if done else (min(job.rows_written / total, 1.0) if total else 0.0),
        "error": job.error_message,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "expires_at": job.finished_at + FILE_KEPT if done and job.finished_at else None,
        "url": absolute_uri(reverse("export_job-detail", kwargs={"pk": job.id})),
        "download_url": (
            absolute_uri(reverse("export_job-download", kwargs={"pk": job.id})) if done else None
        ),
    }
