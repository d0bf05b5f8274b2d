"""The bytes of a messages export, written the same way wherever they go: streamed in the
API's answer, into a background job's file, or by ``manage.py export_messages``."""

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from exports.selectors import COLUMNS

# Excel reads a CSV file as the system's legacy code page unless it starts with a UTF-8
# byte order mark, and then every name with an accent and every emoji comes out garbled.
# CSV readers skip it (Python's "utf-8-sig", pandas, LibreOffice, Google Sheets).
BYTE_ORDER_MARK = "\ufeff"
# Rows per piece of text handed on: one write (and, streamed, one chunk on the socket)
# per this many rows rather than per row.
BLOCK_ROWS = 1000


class _Lines:
    """What csv.writer writes to: the lines of a block, until they are joined."""

    def __init__(self):
        self.lines: list[str] = []

    def write(self, line: str) -> None:
        self.lines.append(line)

    def take(self) -> str:
        text = "".join(self.lines)
        self.lines.clear()
        return text


def csv_blocks(
    rows: Iterable[list[str]], *, block_rows: int = BLOCK_ROWS
) -> Iterator[tuple[str, int]]:
    """``(text, rows in it)``: the byte order mark and the header first (0 rows), then
    ``rows`` (exports.selectors.message_export_rows) ``block_rows`` at a time. Lines end
    with CRLF (RFC 4180)."""
    lines = _Lines()
    writer = csv.writer(lines)
    writer.writerow(COLUMNS)
    yield BYTE_ORDER_MARK + lines.take(), 0
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        if count == block_rows:
            yield lines.take(), count
            count = 0
    if count:
        yield lines.take(), count


def csv_write(
    out: TextIO,
    rows: Iterable[list[str]],
    *,
    on_block: Callable[[int], None] | None = None,
) -> int:
    """Write the export to ``out`` (opened with ``newline=""``); call ``on_block(n)`` after
    each block of ``n`` rows (a progress bar, a job's progress). Answer the rows written."""
    written = 0
    for text, count in csv_blocks(rows):
        out.write(text)
        written += count
        if count and on_block is not None:
            on_block(count)
    return written
