import sys

from django.core.management.base import BaseCommand, CommandError

from contacts import csv_files
from contacts.selectors import contacts_for_export


class Command(BaseCommand):
    help = (
        "Write every contact as CSV (name, phone, email, notes; several numbers or "
        'addresses joined with "; ", primary first), as import_contacts reads it back.'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", nargs="?", default="-", help="Where to write; '-' (default): stdout."
        )

    def handle(self, *args, file, **options):
        if file == "-":
            count = csv_files.write_rows(self.stdout, contacts_for_export())
            # The count goes to stderr: stdout is the CSV.
            sys.stderr.write(f"Exported {count} contacts.\n")
            return
        try:
            with open(file, "w", encoding="utf-8", newline="") as out:
                count = csv_files.write_rows(out, contacts_for_export())
        except OSError as err:
            raise CommandError(f"Cannot write {file}: {err.strerror}.") from err
        self.stdout.write(f"Exported {count} contacts to {file}.")
