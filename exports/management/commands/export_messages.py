import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from core.errors import ApplicationError
from exports.models import ExportChannel
from exports.ranges import export_range_parse
from exports.selectors import message_export_count, message_export_rows
from exports.writing import csv_write


class Command(BaseCommand):
    help = (
        "Write every message (SMS, internal and email) of a range of days as CSV, oldest "
        "first: the same file as GET /api/export/messages.csv, of any size, read a chunk at "
        "a time. A progress bar on stderr when it is a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="date_from", metavar="YYYY-MM-DD", help="First day (TIME_ZONE)."
        )
        parser.add_argument(
            "--to", dest="date_to", metavar="YYYY-MM-DD", help="Last day, included (TIME_ZONE)."
        )
        parser.add_argument(
            "--channel", choices=ExportChannel.values, help="One channel; default: all."
        )
        parser.add_argument(
            "--output", default="-", metavar="FILE", help="Where to write; '-' (default): stdout."
        )
        parser.add_argument("--no-progress", dest="progress", action="store_false")

    def handle(self, *args, date_from, date_to, channel, output, progress, **options):
        try:
            export_range = export_range_parse(
                date_from=date_from, date_to=date_to, channel=channel, now=timezone.now()
            )
        except ApplicationError as err:
            message = err.message.replace("'from'", "--from").replace("'to'", "--to")
            raise CommandError(message) from None
        started = time.monotonic()
        show = progress and sys.stderr.isatty()
        total = message_export_count(export_range) if show else None
        with tqdm(
            total=total, unit="row", unit_scale=True, disable=not show, file=sys.stderr
        ) as bar:
            if output == "-":
                count = csv_write(
                    _Stdout(self.stdout), message_export_rows(export_range), on_block=bar.update
                )
                # The count goes to stderr: stdout is the CSV.
                sys.stderr.write(f"Exported {_rows(count)} in {_since(started)}.\n")
                return
            try:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    count = csv_write(out, message_export_rows(export_range), on_block=bar.update)
            except OSError as err:
                raise CommandError(f"Cannot write {output}: {err.strerror}.") from err
        self.stdout.write(f"Exported {_rows(count)} to {output} in {_since(started)}.")


def _rows(count: int) -> str:
    return f"{count:,} message" + ("" if count == 1 else "s")


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"


class _Stdout:
    """The command's stdout as a plain file: no line end added to each block."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
