from django.tasks import task

from exports import services


@task()
def run_export_job(job_id: str) -> str:
    """Write a background export's file (exports.services.export_job_run)."""
    return services.export_job_run(job_id=job_id)
