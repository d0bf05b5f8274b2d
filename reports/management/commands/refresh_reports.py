from django.core.management.base import BaseCommand

from reports.services import reports_refresh


class Command(BaseCommand):
    help = (
        "Refresh the reports' hourly counts and first replies: the last "
        "REPORTS_RECOUNT_HOURS hours (what the sweeper runs every REPORTS_REFRESH_SECONDS), "
        "or with --all everything (after importing old messages, or changing statuses by "
        "hand)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="full",
            help="Count every message and email again, not only the recent hours.",
        )

    def handle(self, *args, full, **options):
        outcome = reports_refresh(full=full)
        counted = (
            "everything" if outcome.since is None else f"from {outcome.since:%Y-%m-%d %H:%M} UTC"
        )
        self.stdout.write(
            f"Counted {counted}: {outcome.buckets} hourly counts and {outcome.replies} first "
            f"replies in {outcome.seconds:.1f} s."
        )
