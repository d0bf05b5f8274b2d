import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from contacts import csv_files
from contacts.services import contacts_import
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Import contacts from a CSV file with a header row naming the columns name, phone, "
        "email, notes (others are ignored; several numbers or addresses in a cell are "
        'separated by ";"). A row whose number or address belongs to a contact updates it; '
        "a row that would join two contacts, or has an invalid or no number and address, "
        "is refused with its line. Prints what was created, updated and refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, with or without a BOM).")
        parser.add_argument("--no-progress", dest="progress", action="store_false")

    def handle(self, *args, file, progress, **options):
        try:
            with open(file, "rb") as handle:
                raw = handle.read()
        except OSError as err:
            raise CommandError(f"Cannot read {file}: {err.strerror}.") from err
        try:
            rows = csv_files.read_rows(csv_files.decode(raw))
        except ApplicationError as err:
            raise CommandError(err.message) from err
        show = progress and sys.stderr.isatty()
        with tqdm(total=len(rows), unit="row", disable=not show, file=sys.stderr) as bar:
            result = contacts_import(rows=rows, progress=bar.update)
        self.stdout.write(
            f"Created {result.created}, updated {result.updated}, unchanged "
            f"{result.unchanged}, refused {len(result.refused)}."
        )
        for refused in result.refused:
            self.stdout.write(f"Line {refused.line}: {refused.reason}")
