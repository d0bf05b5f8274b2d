import uuid
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from outbox.registry import channels, outboxes


def _moment(text: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is read in TIME_ZONE."""
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--since is not an ISO 8601 date or time: {text!r}.")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CommandError(f"--id is not a UUID: {text!r}.") from None


class Command(BaseCommand):
    help = (
        "Put failed SMS and emails back in the delivery queue, due now. SMS to numbers that "
        "have opted out (replied STOP), and emails to a suppressed address (bounced, spam "
        "report, unsubscribed), stay failed. Previous attempts are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", choices=[*channels(), "all"], default="all")
        parser.add_argument(
            "--error-code",
            help="Only records that failed with this code: Twilio's (e.g. 30003) for SMS, "
            "SendGrid's HTTP status (e.g. 401) for email.",
        )
        parser.add_argument(
            "--since",
            help="Only records that failed at or after this ISO 8601 time, e.g. "
            "2026-01-31T14:00 (read in TIME_ZONE) or 2026-01-31T14:00+00:00.",
        )
        parser.add_argument(
            "--id",
            dest="ids",
            nargs="+",
            action="extend",
            metavar="UUID",
            help="Only these message or email ids.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be retried; change nothing."
        )

    def handle(self, *args, channel, error_code, since, ids, dry_run, **options):
        filters = {
            "ids": [_uuid(value) for value in ids] if ids else None,
            "error_code": error_code or None,
            "since": _moment(since) if since else None,
            "dry_run": dry_run,
        }
        verb = "would be re-queued" if dry_run else "re-queued"
        for outbox in outboxes():
            if channel not in (outbox.channel, "all"):
                continue
            result = outbox.retry_failed(**filters)
            line = f"{outbox.label}: {len(result.requeued)} {verb}"
            if result.refused:
                line += f"; {len(result.refused)} not retried: {outbox.refusal_reason}"
            self.stdout.write(line + ".")
            for pk in result.refused:
                self.stdout.write(f"  {outbox.refusal_reason}, not retried: {pk}")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
