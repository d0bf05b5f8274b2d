"""Checking and storing files: types from the bytes, the channels' limits, all or nothing."""

import hashlib
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import timezone

from attachments.models import Attachment
from attachments.services import (
    EMAIL_POLICY,
    MMS_POLICY,
    attachment_store,
    attachments_check,
    attachments_store,
    filename_clean,
)
from attachments.tests import samples
from core.errors import PayloadTooLarge, ValidationError
from web.exception_handler import exception_handler

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("photo.png", samples.png(), "image/png"),
        ("photo.jpg", samples.JPEG, "image/jpeg"),
        ("animation.gif", samples.GIF, "image/gif"),
        ("menu.pdf", samples.PDF, "application/pdf"),
    ],
)
def test_a_file_is_stored_with_the_type_size_and_digest_of_its_bytes(
    filename, content, content_type
):
    attachment = attachment_store(filename=filename, content=content, policy=MMS_POLICY)

    stored = Attachment.objects.get()
    assert stored == attachment
    assert (stored.filename, stored.content_type, stored.size) == (
        filename,
        content_type,
        len(content),
    )
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    with stored.file.open("rb") as file:
        assert file.read() == content


def test_the_stored_path_is_the_date_and_the_id_never_the_clients_name():
    attachment = attachment_store(
        filename="../../etc/passwd.png", content=samples.png(), policy=MMS_POLICY
    )

    month = timezone.now().strftime("%Y/%m")
    assert attachment.file.name == f"attachments/{month}/{attachment.id}"
    assert default_storage.exists(attachment.file.name)
    assert attachment.filename == "passwd.png"


def test_a_png_named_txt_and_declared_text_plain_is_stored_as_a_png():
    (attachment,) = attachments_store(
        [("notes.txt", samples.png(), "text/plain")], policy=MMS_POLICY
    )

    assert attachment.content_type == "image/png"
    assert attachment.filename == "notes.txt"


@pytest.mark.parametrize("policy", [MMS_POLICY, EMAIL_POLICY], ids=["mms", "email"])
def test_a_program_declared_as_a_png_is_refused_and_nothing_is_stored(policy, settings):
    with pytest.raises(ValidationError) as refused:
        attachments_store(
            [("cat.png", samples.png(), "image/png"), ("kitten.png", samples.EXE, "image/png")],
            policy=policy,
        )

    assert refused.value.message.startswith("kitten.png is an application/x-msdownload file; ")
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


def test_a_heic_photo_for_an_mms_is_refused_with_a_sentence_saying_what_an_mms_can_carry():
    with pytest.raises(ValidationError) as refused:
        attachments_check([("holiday.heic", samples.HEIC, "image/heic")], policy=MMS_POLICY)

    assert refused.value.status_code == 400
    assert refused.value.message == (
        "holiday.heic is an image/heic file; an MMS can carry JPEG, PNG or GIF images, MP3, "
        "M4A, AAC, Ogg or AMR audio, MP4, MPEG, QuickTime, WebM or 3GPP video, PDF "
        "documents, and vCard, calendar or CSV files."
    )


def test_an_email_carries_a_heic_photo():
    attachment = attachment_store(
        filename="holiday.heic", content=samples.HEIC, policy=EMAIL_POLICY
    )

    assert attachment.content_type == "image/heic"


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("install.sh", b"echo hello\n"),
        ("notes.txt", b"#!/bin/sh\nrm -rf ~\n"),
        ("run.bat", b"@echo off\r\n"),
        ("server", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
    ],
)
def test_an_email_refuses_programs_and_scripts_whatever_their_name(filename, content):
    with pytest.raises(ValidationError) as refused:
        attachments_check([(filename, content, "text/plain")], policy=EMAIL_POLICY)

    assert refused.value.message.startswith(f"{filename} is an application/")
    assert refused.value.message.endswith(
        "; an email can carry any file except programs and scripts (Windows .exe, .msi and "
        ".bat files, Linux programs, shell scripts)."
    )


def test_eleven_files_are_refused_naming_the_limit():
    files = [(f"photo{n}.png", samples.png(), "image/png") for n in range(11)]

    with pytest.raises(ValidationError) as refused:
        attachments_store(files, policy=MMS_POLICY)

    assert refused.value.status_code == 400
    assert refused.value.message == "An MMS can carry at most 10 files; 11 were attached."
    assert not Attachment.objects.exists()


def test_ten_files_are_stored():
    files = [(f"photo{n}.png", samples.png(), "image/png") for n in range(10)]

    assert len(attachments_store(files, policy=MMS_POLICY)) == 10
    assert Attachment.objects.count() == 10


def test_5_mb_in_all_fits_an_mms():
    files = [("a.png", samples.png_of_size(3_000_000), None), ("b.gif", samples.GIF, None)]
    files.append(("c.png", samples.png_of_size(2_000_000 - len(samples.GIF)), None))

    assert sum(a.size for a in attachments_store(files, policy=MMS_POLICY)) == 5_000_000


def test_5_mb_and_one_byte_for_an_mms_is_too_large_a_413(settings):
    files = [
        ("a.png", samples.png_of_size(3_000_000), "image/png"),
        ("b.png", samples.png_of_size(2_000_001), "image/png"),
    ]

    with pytest.raises(PayloadTooLarge) as refused:
        attachments_store(files, policy=MMS_POLICY)

    assert refused.value.status_code == 413
    assert refused.value.message == (
        "The files come to 5,000,001 bytes; an MMS can carry at most 5 MB (5,000,000 bytes) "
        "in all. Send fewer or smaller files."
    )
    assert stored_files(settings) == []


def test_the_api_answers_a_payload_too_large_with_a_413_and_its_sentence():
    response = exception_handler(PayloadTooLarge("The files come to too much."), {})

    assert response.status_code == 413
    assert response.data == {"error": "The files come to too much."}


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("notes.txt", "Café at 8, ☕ on me\n".encode(), "text/plain"),
        ("notes", b"", "text/plain"),
        ("guests.csv", b"name,phone\nAda,+14155552671\n", "text/csv"),
        ("ada.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nEND:VCARD\n", "text/vcard"),
        ("party.ics", b"BEGIN:VCALENDAR\nEND:VCALENDAR\n", "text/calendar"),
        ("logo.svg", samples.SVG, "image/svg+xml"),
        ("logo.txt", samples.SVG, "image/svg+xml"),
        ("page.txt", samples.HTML, "text/html"),
        # Not text: an extension never makes bytes text.
        ("guests.csv", b"name\x00phone\n", "application/octet-stream"),
        ("guests.csv", b"\xff\xfe\x00n\x00a", "application/octet-stream"),
        ("guests.csv", samples.png(), "image/png"),
    ],
)
def test_text_is_recognised_by_its_bytes_and_then_its_extension(filename, content, content_type):
    (checked,) = attachments_check([(filename, content, "image/png")], policy=EMAIL_POLICY)

    assert checked.content_type == content_type


def test_a_text_cut_inside_a_utf8_character_at_a_chunk_boundary_is_still_text():
    # Django reads files in 64 KiB chunks: "é" (2 bytes) straddles the first boundary.
    content = b"a" * (64 * 1024 - 1) + "é".encode() + b"b"

    (checked,) = attachments_check([("long.txt", content, None)], policy=EMAIL_POLICY)

    assert checked.content_type == "text/plain"


def test_uploaded_files_are_checked_and_stored_like_bytes(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    large = TemporaryUploadedFile("scan.pdf", "image/png", len(samples.PDF), None)
    large.write(samples.PDF)
    small = SimpleUploadedFile("tiny.gif", samples.GIF, content_type="text/plain")

    stored = attachments_store([large, small], policy=MMS_POLICY)

    assert [(a.filename, a.content_type, a.size) for a in stored] == [
        ("scan.pdf", "application/pdf", len(samples.PDF)),
        ("tiny.gif", "image/gif", len(samples.GIF)),
    ]


def test_a_file_object_is_stored_from_its_start(tmp_path):
    path = tmp_path / "agenda.txt"
    path.write_text("9:00 stand-up\n10:00 deliveries\n")
    with path.open("rb") as source:
        source.read(10)
        attachment = attachment_store(filename="agenda.txt", content=source, policy=EMAIL_POLICY)

    assert attachment.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert attachment.content_type == "text/plain"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("photo.png", "photo.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\Desktop\\menu.pdf", "menu.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("line\r\nbreak\x00.txt", "linebreak.txt"),
        ("  spaced out.txt  ", "spaced out.txt"),
        ("", "attachment"),
        ("..", "attachment"),
        ("dir/", "attachment"),
        ("Cafe\u0301.txt", "Café.txt"),
    ],
)
def test_file_names_are_plain_names_a_person_can_read(sent, shown):
    assert filename_clean(sent) == shown


def test_a_long_file_name_is_cut_to_255_characters_keeping_its_extension():
    cleaned = filename_clean("x" * 300 + ".jpeg")

    assert len(cleaned) == 255
    assert re.fullmatch(r"x{250}\.jpeg", cleaned)


def test_a_long_name_whose_last_dot_is_no_extension_is_cut_at_255():
    cleaned = filename_clean("v1." + "x" * 300)

    assert cleaned == "v1." + "x" * 252
