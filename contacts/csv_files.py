"""Contacts as CSV: what ``import_contacts`` and ``POST /api/contacts/import`` read, and what
``export_contacts`` writes, so that an export imports back as it was.

The columns are ``name``, ``phone``, ``email`` and ``notes``, named by a header row (any
case, any order; other columns are ignored). A contact's several numbers or addresses
share one cell, separated by "; ", primary first.

Every cell is written through ``core.csv_cells.csv_cell``: a name or a note such as
``=HYPERLINK(...)`` (a contact's name can come from an inbound email's sender) opens as text
in a spreadsheet, not as a formula. Reading takes the quote it added off again
(``read_csv_cell``), so that an export still imports back as it was.
"""

import csv
import io
from collections.abc import Iterable
from typing import TextIO

from contacts.models import Contact, PointKind
from contacts.services import ContactRow
from core.csv_cells import csv_cell, read_csv_cell
from core.errors import ValidationError

COLUMNS = ("name", "phone", "email", "notes")
SEPARATOR = "; "
_ENCODING_HELP = "Save it as CSV in UTF-8 (Excel: CSV UTF-8) and try again."


def decode(raw: bytes) -> str:
    """The text of an uploaded file: UTF-8, with or without a byte order mark."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            f"The file is not UTF-8 text (byte {error.start + 1} is not). {_ENCODING_HELP}",
            field="file",
        ) from None


def read_rows(text: str) -> list[ContactRow]:
    """Every row of a CSV text after its header, with the line it starts on.

    The whole file is read before anything is imported, so that a file the CSV reader
    cannot parse (a stray quote that swallows the rest, a NUL) refuses the file as a
    whole, naming the line, rather than importing half of it.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows: list[ContactRow] = []
    columns: dict[str, int] | None = None
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if columns is None:
                columns = _header(cells)
                continue
            rows.append(
                ContactRow(
                    line=start,
                    **{
                        name: read_csv_cell(cells[index]) if index < len(cells) else ""
                        for name, index in columns.items()
                    },
                )
            )
    except csv.Error as error:
        raise ValidationError(
            f"Line {reader.line_num} of the file is not valid CSV: {error}.", field="file"
        ) from None
    if columns is None:
        raise ValidationError(
            "The file is empty: it needs a header row (name, phone, email, notes) and a row "
            "per contact.",
            field="file",
        )
    return rows


def _header(cells: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in cells]
    columns = {}
    for column in COLUMNS:
        if column in names:
            columns[column] = names.index(column)
    if "phone" not in columns and "email" not in columns:
        raise ValidationError(
            "The first row must be a header naming the columns: name, phone, email, notes "
            f"(phone or email at least). It reads: {', '.join(cells)[:200]!r}.",
            field="file",
        )
    return columns


def write_rows(out: TextIO, contacts: Iterable[Contact]) -> int:
    """Write the header and a row per contact (points prefetched); answer the count."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for contact in contacts:
        points = sorted(contact.points.all(), key=lambda point: (point.position, point.id))
        writer.writerow(
            [
                csv_cell(contact.name),
                csv_cell(
                    SEPARATOR.join(point.value for point in points if point.kind == PointKind.PHONE)
                ),
                csv_cell(
                    SEPARATOR.join(point.value for point in points if point.kind == PointKind.EMAIL)
                ),
                csv_cell(contact.notes),
            ]
        )
        count += 1
    return count
