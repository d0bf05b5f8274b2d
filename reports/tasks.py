from django.tasks import task

from reports import services


@task()
def refresh_reports() -> dict:
    """Count the recent hours again and find their first replies
    (reports.services.reports_refresh)."""
    return services.reports_refresh().as_dict()


def refresh_sweep() -> int:
    """The sweeper's look at the reports (outbox.registry.register_sweep): when the last
    refresh is older than REPORTS_REFRESH_SECONDS, enqueue one (once: the claim keeps a
    second sweeper, and the next sweeps while it waits, from enqueuing another). Return
    how many were enqueued."""
    if not services.reports_refresh_claim():
        return 0
    refresh_reports.enqueue()
    return 1
