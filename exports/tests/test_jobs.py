"""An export too large to stream within a request: a background job, its file downloaded
when ready, by the person who asked for it (or an admin) alone, deleted a day later."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from exports import services
from exports.models import ExportJob, ExportStatus
from exports.tests.support import read_csv, streamed
from outbox.registry import sweeps

pytestmark = pytest.mark.django_db

URL = "/api/export/messages.csv"
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as they are enqueued, as `make run` runs them."""
    settings.TASKS = IMMEDIATE


def ask_in_background(client, capture, **params):
    """Ask for an export that becomes a job, and run the job's task once the request's
    transaction commits (the immediate backend). Answer the 202's response."""
    with capture(execute=True):
        response = client.get(URL, params)
    assert response.status_code == 202, response.content
    return response


def test_an_export_over_the_limit_is_a_job_whose_file_is_the_same_csv(
    api_client, records, settings, immediate_tasks, django_capture_on_commit_callbacks
):
    streamed_csv = streamed(api_client.get(URL))  # 5 rows: under the default limit
    settings.EXPORT_STREAM_MAX_ROWS = 4

    response = ask_in_background(api_client, django_capture_on_commit_callbacks)

    job = ExportJob.objects.get()
    assert response["Location"] == f"http://testserver/api/export/jobs/{job.id}"
    answer = response.json()
    assert (answer["id"], answer["status"], answer["from"], answer["channel"]) == (
        str(job.id),
        "queued",  # as it was answered; the task ran once the request committed
        None,
        None,
    )
    followed = api_client.get(response["Location"])
    assert followed.status_code == 200
    done = followed.json()
    assert (done["status"], done["row_count"], done["rows_written"], done["progress"]) == (
        "done",
        5,
        5,
        1.0,
    )
    assert done["download_url"] == f"http://testserver/api/export/jobs/{job.id}/download"
    assert done["expires_at"] is not None
    download = api_client.get(done["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert download["Content-Disposition"] == (
        f'attachment; filename="messages-all-to-{today}.csv"'
    )
    assert b"".join(download.streaming_content) == streamed_csv


def test_a_job_keeps_the_range_and_channel_asked_for(
    api_client, records, immediate_tasks, django_capture_on_commit_callbacks
):
    response = ask_in_background(
        api_client,
        django_capture_on_commit_callbacks,
        background="1",
        channel="email",
        **{"from": "2025-03-06", "to": "2025-03-31"},
    )

    job = response.json()
    assert (job["channel"], job["from"], job["to"]) == ("email", "2025-03-06", "2025-03-31")
    download = api_client.get(api_client.get(job["url"]).json()["download_url"])
    assert (
        'filename="messages-email-2025-03-06-to-2025-03-31.csv"' in download["Content-Disposition"]
    )
    rows = read_csv(b"".join(download.streaming_content))[1:]
    assert [row[0] for row in rows] == [str(records.email_in.id)]


def test_background_1_makes_a_job_of_a_small_export(api_client, records, enqueued_tasks):
    response = api_client.get(URL, {"background": "1"})

    assert response.status_code == 202
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.QUEUED
    assert job.requested_by.username == "casey"


def test_the_size_check_streams_an_export_of_exactly_the_limit(api_client, records, settings):
    settings.EXPORT_STREAM_MAX_ROWS = 5

    response = api_client.get(URL)

    assert response.status_code == 200
    assert not ExportJob.objects.exists()


def test_the_job_is_enqueued_only_once_its_row_is_committed(
    api_client, records, settings, enqueued_tasks, django_capture_on_commit_callbacks
):
    settings.EXPORT_STREAM_MAX_ROWS = 1

    with django_capture_on_commit_callbacks() as callbacks:
        api_client.get(URL)
        assert enqueued_tasks() == []

    assert len(callbacks) == 1
    callbacks[0]()
    job = ExportJob.objects.get()
    assert enqueued_tasks() == [("exports.tasks.run_export_job", [str(job.id)])]


def test_another_agent_gets_404_for_the_job_and_its_file_and_an_admin_gets_both(
    api_client,
    other_client,
    admin_client,
    records,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    job = ask_in_background(api_client, django_capture_on_commit_callbacks, background="1")
    job = job.json()

    for url in (job["url"], job["url"] + "/download"):
        refused = other_client.get(url)
        assert refused.status_code == 404, url
        assert refused.json() == {"error": "No export with this id."}
        assert admin_client.get(url).status_code == 200, url
    assert other_client.get("/api/export/jobs/not-a-uuid").status_code == 404


def test_a_job_not_done_yet_cannot_be_downloaded(api_client, records, enqueued_tasks):
    job = api_client.get(URL, {"background": "1"}).json()

    response = api_client.get(job["url"] + "/download")

    assert response.status_code == 409
    assert response.json()["error"] == (
        "This export is still queued (0 rows written): download it once its status is done."
    )
    assert api_client.get(job["url"]).json()["download_url"] is None


def test_a_job_that_fails_says_so_and_has_no_file(
    api_client, records, immediate_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(export_range):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "message_export_rows", broken)

    job = ask_in_background(api_client, django_capture_on_commit_callbacks, background="1")

    failed = api_client.get(job["Location"]).json()
    assert failed["status"] == "failed"
    assert failed["error"].startswith("The export stopped on an error on the server")
    assert "database" not in failed["error"]  # no internals
    download = api_client.get(job["Location"] + "/download")
    assert download.status_code == 409
    assert download.json()["error"].startswith("This export failed: The export stopped")


def test_the_sweeper_deletes_a_file_a_day_after_it_was_written(
    api_client, records, immediate_tasks, django_capture_on_commit_callbacks
):
    location = ask_in_background(api_client, django_capture_on_commit_callbacks, background="1")[
        "Location"
    ]
    job = ExportJob.objects.get()
    name = job.file.name
    assert default_storage.exists(name)
    ExportJob.objects.filter(id=job.id).update(finished_at=timezone.now() - timedelta(hours=23))

    sweeps()["Export jobs"]()
    assert default_storage.exists(name)  # not a day old yet

    ExportJob.objects.filter(id=job.id).update(finished_at=timezone.now() - timedelta(hours=25))
    assert sweeps()["Export jobs"]() == 0  # nothing was lost

    assert not default_storage.exists(name)
    assert api_client.get(location).json()["status"] == "expired"
    gone = api_client.get(location + "/download")
    assert gone.status_code == 410
    assert gone.json()["error"] == (
        "This export's file was deleted a day after it was written; ask for the export again."
    )


def test_the_sweeper_enqueues_a_lost_job_again_and_the_repeat_task_does_nothing(
    api_client, records, enqueued_tasks, settings
):
    api_client.get(URL, {"background": "1"})
    job = ExportJob.objects.get()
    ExportJob.objects.filter(id=job.id).update(
        updated_at=timezone.now() - timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS + 1)
    )

    assert services.export_jobs_sweep() == 1
    assert services.export_jobs_sweep() == 0  # touched: not again at the next round
    assert enqueued_tasks() == [("exports.tasks.run_export_job", [str(job.id)])]

    assert services.export_job_run(job_id=job.id) == "done"
    assert services.export_job_run(job_id=job.id) == "skipped"
    job.refresh_from_db()
    assert (job.status, job.rows_written, job.attempt_count) == ("done", 5, 1)


def test_a_job_whose_worker_died_is_run_again_then_failed_after_three_tries(
    api_client, records, enqueued_tasks
):
    api_client.get(URL, {"background": "1"})
    job = ExportJob.objects.get()
    silent = timezone.now() - services.RUNNING_SILENCE - timedelta(seconds=1)

    for attempt in (1, 2):
        ExportJob.objects.filter(id=job.id).update(
            status=ExportStatus.RUNNING, attempt_count=attempt, updated_at=silent
        )
        assert services.export_jobs_sweep() == 1
        job.refresh_from_db()
        assert job.status == ExportStatus.QUEUED
    ExportJob.objects.filter(id=job.id).update(
        status=ExportStatus.RUNNING, attempt_count=3, updated_at=silent
    )

    assert services.export_jobs_sweep() == 0

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error_message.startswith("The export's worker stopped 3 times")
    assert len(enqueued_tasks()) == 2


def test_a_running_job_that_writes_progress_keeps_its_worker(api_client, records, enqueued_tasks):
    api_client.get(URL, {"background": "1"})
    ExportJob.objects.update(status=ExportStatus.RUNNING, attempt_count=1)

    assert services.export_jobs_sweep() == 0

    assert ExportJob.objects.get().status == ExportStatus.RUNNING
    assert enqueued_tasks() == []
