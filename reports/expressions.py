"""The SQL the reports need beyond Django's own: a median. PostgreSQL's own function there;
on SQLite (``make run``'s development database) an equivalent, so that the same queries run
on both."""

import statistics

from django.db.models import Aggregate, FloatField


class Median(Aggregate):
    """The median of a column: PostgreSQL's ``percentile_cont(0.5)``, which sorts only the
    group's rows (those an index range gave it), not a table."""

    function = "percentile_cont"
    name = "Median"
    output_field = FloatField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLITE_MEDIAN, registered on each SQLite connection by ReportsConfig.ready.
        return super().as_sql(
            compiler, connection, function=SQLITE_MEDIAN, template="%(function)s(%(expressions)s)"
        )


SQLITE_MEDIAN = "hatch_median"


class SqliteMedian:
    """The aggregate SQLite calls for Median (sqlite3's create_aggregate protocol)."""

    def __init__(self):
        self.values: list[float] = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None
