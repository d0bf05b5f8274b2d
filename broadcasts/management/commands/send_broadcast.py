import time
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from broadcasts import selectors, services
from broadcasts.models import BroadcastChannel, BroadcastStatus
from broadcasts.recipients import csv_rows, recipients_resolve
from core.errors import ApplicationError

# How often the progress bar reads the broadcast's counts.
POLL_SECONDS = 1.0
# Counts that say a recipient is settled: its message went (or failed), or it was skipped.
SETTLED = (
    "sent",
    "delivered",
    "failed",
    "canceled",
    "skipped_opted_out",
    "skipped_invalid",
    "skipped_duplicate",
)


class Command(BaseCommand):
    help = (
        "Send one text to many people, as POST /api/broadcasts does: to contacts with a "
        "label, to numbers or addresses, or to the rows of a CSV. Shows a progress bar "
        "until every recipient is sent or skipped (the workers send it: run them); "
        "--no-wait returns at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--channel", choices=BroadcastChannel.values, default="sms")
        parser.add_argument(
            "--body",
            required=True,
            help='The text; variables such as {{contact.first_name|default:"there"}}.',
        )
        parser.add_argument("--subject", default="", help="An email broadcast's subject.")
        parser.add_argument(
            "--label", action="append", default=[], help="A label's contacts (repeatable)."
        )
        parser.add_argument(
            "--to",
            action="append",
            default=[],
            help="A number (SMS) or an address (email); repeatable.",
        )
        parser.add_argument(
            "--csv",
            type=Path,
            help="A CSV with a 'phone' or 'email' column; its other columns are variables.",
        )
        parser.add_argument("--send-at", help="ISO 8601 with an offset: start later.")
        parser.add_argument(
            "--no-wait", action="store_true", help="Create it and return; do not follow it."
        )

    def handle(self, *args, **options):
        channel = options["channel"]
        try:
            rows = csv_rows(options["csv"].read_bytes(), channel=channel) if options["csv"] else []
            recipients = recipients_resolve(
                channel=channel, labels=options["label"], addresses=options["to"], rows=rows
            )
            broadcast = services.broadcast_create(
                name=options["name"],
                channel=channel,
                body=options["body"],
                subject=options["subject"],
                recipients=recipients,
                send_at=_send_at(options["send_at"]),
                user=None,
            )
        except OSError as err:
            raise CommandError(f"Could not read {options['csv']}: {err.strerror}.") from err
        except ApplicationError as err:
            raise CommandError(err.message) from err
        self.stdout.write(f"Broadcast {broadcast.id}: {len(recipients)} recipients.")
        if options["no_wait"]:
            return
        self._follow(broadcast.id)

    def _follow(self, broadcast_id) -> None:
        """A progress bar of settled recipients until the broadcast ends or pauses."""
        broadcast = selectors.broadcast_get(broadcast_id=broadcast_id)
        counts = selectors.broadcast_counts(broadcast)
        with tqdm(total=counts["total"], unit="recipient", file=self.stdout) as bar:
            while True:
                broadcast.refresh_from_db()
                counts = selectors.broadcast_counts(broadcast)
                bar.n = sum(counts[key] for key in SETTLED)
                bar.set_postfix_str(broadcast.get_status_display().lower(), refresh=False)
                bar.refresh()
                if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELED):
                    break
                if broadcast.status == BroadcastStatus.PAUSED:
                    bar.close()
                    raise CommandError(f"Paused: {broadcast.pause_reason}")
                time.sleep(POLL_SECONDS)
        summary = ", ".join(f"{key} {counts[key]}" for key in SETTLED if counts[key])
        self.stdout.write(f"{broadcast.get_status_display()}: {summary}.")


def _send_at(raw: str | None) -> datetime | None:
    if not raw:
        return None
    moment = parse_datetime(raw)
    if moment is None:
        raise CommandError(f"--send-at is not an ISO 8601 time: {raw!r}.")
    return moment
