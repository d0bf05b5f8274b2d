"""Contacts in and out as CSV: import_contacts, export_contacts and POST /api/contacts/import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from contacts import services
from contacts.models import Contact, ContactPoint
from contacts.services import ContactRow, contacts_import

pytestmark = pytest.mark.django_db

# Line 1 is the header (any order, any case; Company is ignored); the row on lines 4-5
# has notes with a line break in them; line 9 is blank.
MIXED = (
    "Email,Name,Phone,Company,Notes\n"
    "bob@example.com,Bob Byte,+1 415 555 0120,Acme,Likes mornings\n"
    "ada.new@example.com,,(415) 555-2671,,\n"
    'cy@example.com,Cy Clone,+14155550121; 415-555-0122,,"Two numbers,\n'
    'and a line break"\n'
    "grace@example.com,Impossible,+14155552671,,\n"
    ",Nobody,,,\n"
    ",Finn Flow,+14155550177,,Called once\n"
    "\n"
    "dee@example,Dee,,,\n"
    ",Eve,12345,,\n"
    "BOB@example.com,,,,Second thoughts\n"
)
MIXED_SUMMARY = "Created 2, updated 2, unchanged 1, refused 4."
MIXED_REFUSALS = [
    "Line 6: +14155552671 belongs to Ada Lovelace and grace@example.com to Grace Hopper: "
    "merge those contacts first, or split the row.",
    "Line 7: The row has neither a phone number nor an email address.",
    "Line 10: 'email' is not a valid email address: 'dee@example'.",
    "Line 11: 'phone' is not a valid phone number: '12345'. Use international format, "
    "e.g. +14155552671.",
]


def import_file(path) -> str:
    out = io.StringIO()
    call_command("import_contacts", str(path), "--no-progress", stdout=out)
    return out.getvalue()


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_contacts", *args, stdout=out)
    return out.getvalue()


def write(tmp_path, text: str, *, name="contacts.csv", bom=False):
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


def points_of(contact: Contact) -> list[str]:
    return list(contact.points.order_by("kind", "position").values_list("value", flat=True))


@pytest.fixture
def finn(db):
    """A contact the first SMS from a stranger made: a number, no name."""
    return services.contact_for_point(kind="phone", value="+14155550177")


class TestImportCommand:
    def test_good_rows_are_imported_and_bad_ones_refused_with_their_line(
        self, tmp_path, ada, grace, finn
    ):
        output = import_file(write(tmp_path, MIXED))

        assert output.splitlines() == [MIXED_SUMMARY, *MIXED_REFUSALS]
        bob = Contact.objects.get(name="Bob Byte")
        assert points_of(bob) == ["bob@example.com", "+14155550120"]
        assert bob.notes == "Likes mornings"  # a blank is filled; these were not blank
        cy = Contact.objects.get(name="Cy Clone")
        assert points_of(cy) == ["cy@example.com", "+14155550121", "+14155550122"]
        assert cy.notes == "Two numbers,\nand a line break"
        ada.refresh_from_db()
        assert ada.name == "Ada Lovelace"
        assert points_of(ada) == [
            "ada@example.com",
            "ada.new@example.com",
            "+14155552671",
            "+14155550101",
        ]
        finn.refresh_from_db()
        assert (finn.name, finn.notes) == ("Finn Flow", "Called once")
        assert points_of(grace) == ["grace@example.com", "+14155550102"]
        assert not Contact.objects.filter(name__in=["Impossible", "Nobody", "Dee", "Eve"])

    def test_a_byte_order_mark_is_not_part_of_the_first_column(self, tmp_path):
        output = import_file(write(tmp_path, "name,phone\nAda,+14155552671\n", bom=True))

        assert output.startswith("Created 1,")
        assert Contact.objects.get().name == "Ada"

    def test_windows_line_ends_count_lines_the_same(self, tmp_path):
        text = "name,phone\r\nAda,+14155552671\r\nBad,1\r\n"

        output = import_file(write(tmp_path, text))

        assert "Line 3: 'phone' is not a valid phone number" in output

    def test_importing_the_same_file_twice_changes_nothing_more(self, tmp_path, ada, grace):
        path = write(tmp_path, MIXED)
        import_file(path)
        before = sorted(ContactPoint.objects.values_list("value", "contact_id", "position"))

        output = import_file(path)

        assert output.startswith("Created 0, updated 0, unchanged 5, refused 4.")
        after = sorted(ContactPoint.objects.values_list("value", "contact_id", "position"))
        assert after == before

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "The file is empty"),
            (b"Ada Lovelace,+14155552671\n", "The first row must be a header"),
            (b"name,notes\nAda,hi\n", "phone or email at least"),
            (b"name,phone\nAda \xff\xfe,+14155552671\n", r"not UTF-8 text \(byte 16 is not\)"),
            (b"name,phone\nAda," + b"9" * 140_000 + b"\n", "Line 2 of the file is not valid CSV"),
        ],
    )
    def test_a_file_that_cannot_be_read_is_refused_whole(self, tmp_path, content, message):
        path = tmp_path / "bad.csv"
        path.write_bytes(content)

        with pytest.raises(CommandError, match=message):
            import_file(path)

        assert not Contact.objects.exists()

    def test_a_nul_in_a_cell_refuses_that_row_only(self, tmp_path):
        text = "name,phone,notes\nAda,+14155552671,fine\nNul,+14155550101,bad\x00\n"

        output = import_file(write(tmp_path, text))

        assert output.splitlines() == [
            "Created 1, updated 0, unchanged 0, refused 1.",
            "Line 3: 'notes' holds characters that are not text.",
        ]

    def test_a_missing_file_is_named(self, tmp_path):
        with pytest.raises(CommandError, match=r"Cannot read .*missing\.csv: No such file"):
            import_file(tmp_path / "missing.csv")


class TestImportService:
    def test_rows_of_one_file_build_on_each_other_across_chunks(self, monkeypatch):
        monkeypatch.setattr(services, "IMPORT_CHUNK_SIZE", 2)
        rows = [
            ContactRow(line=2, name="Ada", phone="+14155552671"),
            ContactRow(line=3, phone="+14155550101"),  # a stranger, no name
            ContactRow(line=4, phone="+14155552671", email="ada@example.com"),  # Ada again
            ContactRow(line=5, name="Ben", phone="+14155550101", notes="Found him"),
            ContactRow(line=6, phone="+14155550101", email="ada@example.com"),  # both
        ]

        result = contacts_import(rows=rows)

        assert result.as_dict() == {
            "created": 2,
            "updated": 2,
            "unchanged": 0,
            "refused": [
                {
                    "line": 6,
                    "reason": "+14155550101 belongs to Ben and ada@example.com to Ada: "
                    "merge those contacts first, or split the row.",
                }
            ],
        }
        ada, ben = Contact.objects.get(name="Ada"), Contact.objects.get(name="Ben")
        assert points_of(ada) == ["ada@example.com", "+14155552671"]
        assert (points_of(ben), ben.notes) == (["+14155550101"], "Found him")

    def test_a_number_taken_meanwhile_is_read_again_and_the_chunk_retried(self, ada, monkeypatch):
        # The first look-up misses Ada's number (as if she got it a moment later): the
        # insert runs into the unique constraint, and the chunk is written again from a
        # fresh look-up.
        real = services._owners_of
        calls = []

        def stale_once(values):
            calls.append(values)
            return {} if len(calls) <= 2 else real(values)

        monkeypatch.setattr(services, "_owners_of", stale_once)

        result = contacts_import(
            rows=[ContactRow(line=2, phone="+14155552671", email="ada.work@example.com")]
        )

        assert (result.created, result.updated) == (0, 1)
        assert len(calls) == 4
        assert Contact.objects.count() == 1
        assert "ada.work@example.com" in points_of(ada)


class TestExport:
    def test_export_writes_the_columns_import_reads(self, ada, grace):
        services.contact_update(contact_id=grace.id, notes='Says "hi",\nalways')

        text = export()

        assert text.splitlines()[0] == "name,phone,email,notes"
        assert "Ada Lovelace,+14155552671; +14155550101,ada@example.com,Prefers email." in text
        assert '"Says ""hi"",\nalways"' in text

    def test_an_export_imports_back_as_it_was(self, tmp_path, ada, grace, finn):
        services.contact_create(name="Only Email", emails=["only@example.com"])
        services.contact_update(contact_id=grace.id, notes="Línea uno\nline two, 👋")
        path = tmp_path / "out.csv"
        assert "Exported 4 contacts" in export(str(path))

        def snapshot():
            return sorted(
                (contact.name, contact.notes, tuple(points_of(contact)))
                for contact in Contact.objects.all()
            )

        before = snapshot()
        Contact.objects.all().delete()

        output = import_file(path)

        assert output.strip() == "Created 4, updated 0, unchanged 0, refused 0."
        assert snapshot() == before

    def test_an_export_imported_into_the_same_contacts_changes_nothing(self, tmp_path, ada):
        path = tmp_path / "out.csv"
        export(str(path))

        assert import_file(path).strip() == "Created 0, updated 0, unchanged 1, refused 0."

    def test_an_unwritable_file_is_named(self, tmp_path):
        with pytest.raises(CommandError, match="Cannot write"):
            export(str(tmp_path / "no" / "such" / "dir.csv"))


class TestUpload:
    def upload(self, client, content: bytes, *, name="contacts.csv"):
        return client.post(
            "/api/contacts/import",
            {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
            format="multipart",
        )

    def test_an_upload_answers_the_summary(self, api_client, ada, grace, finn):
        response = self.upload(api_client, "\ufeff".encode() + MIXED.encode())

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["created"], body["updated"], body["unchanged"]) == (2, 2, 1)
        assert [f"Line {row['line']}: {row['reason']}" for row in body["refused"]] == (
            MIXED_REFUSALS
        )
        assert Contact.objects.filter(name="Cy Clone").exists()

    def test_a_file_over_a_megabyte_is_taken_within_the_routes_limit(self, api_client):
        notes = "x" * 100_000
        text = "name,phone,notes\n" + "".join(
            f"Person {index},+1415555{index:04d},{notes}\n" for index in range(15)
        )
        assert len(text) > 1024 * 1024  # more than any other route takes

        response = self.upload(api_client, text.encode())

        assert response.status_code == 200, response.content
        assert response.json()["created"] == 15

    def test_a_file_over_the_limit_is_a_413(self, api_client, settings):
        settings.CONTACTS_IMPORT_MAX_FILE_SIZE = 1000

        response = self.upload(api_client, b"name,phone\n" + b"Ada,+14155552671\n" * 100)

        assert response.status_code == 413
        assert "at most 1000 bytes" in response.json()["error"]
        assert not Contact.objects.exists()

    def test_a_body_over_the_routes_limit_is_a_413_before_it_is_read(self, api_client, settings):
        settings.CONTACTS_IMPORT_MAX_BODY_SIZE = 2000

        response = self.upload(api_client, b"name,phone\n" + b"Ada,+14155552671\n" * 200)

        assert response.status_code == 413
        assert "CONTACTS_IMPORT_MAX_BODY_SIZE" in response.json()["error"]

    def test_a_file_that_is_not_utf8_is_a_400(self, api_client):
        response = self.upload(api_client, "name,phone\nJosé,+14155552671\n".encode("latin-1"))

        assert response.status_code == 400
        assert "not UTF-8" in response.json()["fields"]["file"][0]

    def test_no_file_is_a_400(self, api_client):
        response = api_client.post("/api/contacts/import", {"other": "x"}, format="multipart")

        assert response.status_code == 400
        assert "file" in response.json()["fields"]

    def test_an_empty_form_is_a_400_in_the_error_shape(self, api_client):
        # daphne's HTTP layer refuses this body itself (tests/test_api_fuzz.py); gunicorn,
        # which serves the API, hands it to Hatch, which must answer it properly.
        response = api_client.generic(
            "POST", "/api/contacts/import", b"--b--\r\n", "multipart/form-data; boundary=b"
        )

        assert response.status_code == 400
        assert response.json()["fields"].keys() == {"file"}

    def test_json_is_a_415(self, api_client):
        response = api_client.post("/api/contacts/import", {"file": "x"}, format="json")

        assert response.status_code == 415
