import argparse
import logging
import signal
import threading

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from outbox.registry import outboxes, sweeps

logger = logging.getLogger(__name__)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"--loop takes a number of seconds above 0, not {text!r}.")
    return value


class Command(BaseCommand):
    help = (
        "Find SMS and emails the delivery pipeline lost: queued ones whose task never ran "
        "(enqueued again) and ones left 'sending' by a worker that died (queued again, or "
        "failed at the attempt limit), and inbound MMS media whose download was lost "
        "(enqueued again). Run it every minute (cron) or with --loop."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=_seconds,
            metavar="SECONDS",
            help="Sweep every SECONDS until stopped (SIGTERM or Ctrl-C), instead of once.",
        )

    def handle(self, *args, loop, **options):
        if loop is None:
            for line in self._sweep():
                self.stdout.write(line)
            return

        stop = threading.Event()
        # In a container this process is PID 1, which ignores SIGTERM unless it says how to
        # handle it: finish the sweep in progress, then leave.
        previous = {
            signum: signal.signal(signum, lambda *_: stop.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self._loop(loop, stop)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write("Stopped.")

    def _loop(self, seconds: float, stop: threading.Event) -> None:
        self.stdout.write(f"Sweeping the outbox every {seconds:g} s.")
        while not stop.is_set():
            # A long-running process must drop connections the database closed meanwhile.
            close_old_connections()
            try:
                lines = self._sweep(quiet=True)
            except DatabaseError:
                # The database may be restarting: try again on the next round.
                logger.exception("Outbox sweep failed")
                lines = []
            for line in lines:
                self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} {line}")
            stop.wait(seconds)

    def _sweep(self, *, quiet: bool = False) -> list[str]:
        """One line per channel and other sweep; with ``quiet``, none when nothing was found."""
        swept = [(outbox.label, outbox.sweep()) for outbox in outboxes()]
        others = [(label, sweep()) for label, sweep in sweeps().items()]
        if (
            quiet
            and not any(any(counts.values()) for _, counts in swept)
            and not any(count for _, count in others)
        ):
            return []
        return [
            *(
                f"{label}: {counts['requeued_lost']} lost queued enqueued again, "
                f"{counts['requeued_stuck']} stuck sending queued again, "
                f"{counts['reconciled_stuck']} stuck sending found sent by the provider."
                for label, counts in swept
            ),
            *(f"{label}: {count} lost enqueued again." for label, count in others),
        ]
