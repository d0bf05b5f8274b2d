from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from outbox.registry import register_sweep
        from reports.tasks import refresh_sweep

        # The counts are refreshed by the worker, enqueued by the sweeper when they are
        # older than REPORTS_REFRESH_SECONDS.
        register_sweep("Reports refresh", refresh_sweep)
        connection_created.connect(_sqlite_functions, dispatch_uid="reports_sqlite_functions")


def _sqlite_functions(sender, connection, **kwargs):
    """SQLite (the development database) has no percentile_cont: the reports' median is a
    Python aggregate there (reports.expressions.Median)."""
    if connection.vendor != "sqlite":
        return
    from reports.expressions import SQLITE_MEDIAN, SqliteMedian

    connection.connection.create_aggregate(SQLITE_MEDIAN, 1, SqliteMedian)
