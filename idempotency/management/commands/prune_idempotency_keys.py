from django.core.management.base import BaseCommand

from idempotency.keys import idempotency_keys_prune


class Command(BaseCommand):
    help = (
        "Delete the Idempotency-Key answers older than IDEMPOTENCY_KEY_TTL_HOURS (default 24). "
        "Run it daily or more often (cron), like prune_db_task_results."
    )

    def handle(self, *args, **options):
        deleted = idempotency_keys_prune()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
