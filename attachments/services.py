"""Files for both channels: checked against a channel's limits, then stored.

Every way in goes through one check (``attachments_check``) before a byte is stored: the
number of files, their total size, and each file's type, *detected from its bytes* (a
client's file name and declared type are never trusted: a program renamed holiday.png is
still a program). Then ``attachments_store`` writes the bytes through Django's storage API
(hatch.settings STORAGES["default"]: a folder, or S3) and one row per file.

The ways in: files uploaded with a request (Django's ``UploadedFile``), files sent as
base64 in JSON (``(filename, bytes, declared_type)`` tuples, the declared type ignored),
and files downloaded from a provider (``attachment_fetch``: Twilio's inbound MMS media).
"""

import codecs
import email.message
import hashlib
import logging
import mimetypes
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import IO
from urllib.parse import unquote, urlsplit

import filetype
import requests
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from attachments.models import FILENAME_MAX_LENGTH, Attachment
from core.errors import ApplicationError, PayloadTooLarge, ValidationError

logger = logging.getLogger(__name__)

MEGABYTE = 1000 * 1000  # providers state their limits in decimal megabytes


@dataclass(frozen=True)
class AttachmentPolicy:
    """What one message of a channel may carry.

    ``allowed_types``: the content types accepted, or None for any type except
    ``refused_types``. ``what`` names the message in sentences ("an MMS"), and
    ``allowed_description`` says in words what it can carry, for the person who sent a
    file it cannot.
    """

    max_files: int
    max_total_bytes: int
    allowed_types: frozenset[str] | None
    what: str
    refused_types: frozenset[str] = frozenset()
    allowed_description: str = "any file"

    def allows(self, content_type: str) -> bool:
        if content_type in self.refused_types:
            return False
        return self.allowed_types is None or content_type in self.allowed_types


# Twilio's "Accepted content types for media" (twilio.com/docs/messaging/guides/
# accepted-mime-types) and Media resource page: at most 10 files and 5 MB in all per message.
# Only JPEG, PNG and GIF are "fully supported": Twilio resizes and converts them for each
# carrier and phone. It passes the other types it accepts on unchanged. Of those, Hatch
# keeps the ones every version of the list has named, spelt exactly as detection spells
# them (Twilio checks the Content-Type Hatch serves each MediaUrl with against the file):
# common audio and video, PDF, vCard, iCalendar and CSV. Left out on purpose:
# - other images (HEIC, HEIF, TIFF, BMP, WebP): Twilio sends them unconverted, and many
#   phones cannot show them; the sender converts to JPEG (every phone shows it);
# - WAV (detected as audio/x-wav; Twilio lists only audio/vnd.wave) and plain text (not
#   on the list: write it in the message body);
# - office documents, which only recent versions of the list name and carriers often drop.
MMS_POLICY = AttachmentPolicy(
    max_files=10,
    max_total_bytes=5 * MEGABYTE,
    allowed_types=frozenset(
        {
            "image/jpeg",
            "image/png",
            "image/gif",
            "audio/mpeg",
            "audio/mp4",
            "audio/aac",
            "audio/ogg",
            "audio/amr",
            "video/mp4",
            "video/mpeg",
            "video/quicktime",
            "video/webm",
            "video/3gpp",
            "application/pdf",
            "text/vcard",
            "text/calendar",
            "text/csv",
        }
    ),
    what="an MMS",
    allowed_description=(
        "JPEG, PNG or GIF images, MP3, M4A, AAC, Ogg or AMR audio, MP4, MPEG, QuickTime, "
        "WebM or 3GPP video, PDF documents, and vCard, calendar or CSV files"
    ),
)

# Programs and scripts, as detection names them (see content_type_detect). Mail providers
# (Gmail, Outlook) refuse or strip messages that carry them, which costs the sending
# domain's reputation at SendGrid for every email, and a file a recipient runs with a
# double click is the oldest way malware travels. A team inbox has no reason to send one.
EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload",  # Windows .exe and .dll (the "MZ" header)
        "application/x-executable",  # Linux and other ELF programs
        "application/x-sh",  # shell scripts (#! or .sh, .bash, .command)
        "application/x-msdos-program",  # Windows batch files (.bat, .cmd)
        "application/x-msi",  # Windows installers (.msi)
    }
)

# What Hatch keeps of an MMS it receives (Twilio's inbound MediaUrls, fetched by the worker):
# whatever the sender's phone sent, within Twilio's 10 files and 5 MB, except programs.
# MMS_POLICY lists what Twilio will *send*; a person's HEIC photo or WAV voice note is still
# theirs to see in the inbox, and the serving views' headers keep every type inert.
MMS_RECEIVED_POLICY = AttachmentPolicy(
    max_files=10,
    max_total_bytes=5 * MEGABYTE,
    allowed_types=None,
    refused_types=EXECUTABLE_TYPES,
    what="an MMS",
    allowed_description="any file except programs and scripts",
)

# SendGrid takes 30 MB per message, base64 included: 20 MB of files is about 27 MB encoded,
# which leaves room for the text, the HTML and the headers. At most 10 files, as MMS: a
# person attaching more to one email wants an archive.
EMAIL_POLICY = AttachmentPolicy(
    max_files=10,
    max_total_bytes=20 * MEGABYTE,
    allowed_types=None,
    refused_types=EXECUTABLE_TYPES,
    what="an email",
    allowed_description=(
        "any file except programs and scripts (Windows .exe, .msi and .bat files, Linux "
        "programs, shell scripts)"
    ),
)


# --------------------------------------------------------------------------- detection

# filetype reads this much of the start of a file.
_HEAD_BYTES = 8192
# Text that filetype cannot recognise (it knows binary formats only): the type follows the
# extension, and only for bytes that are UTF-8 text (a PNG named .csv is still a PNG).
_TEXT_TYPES_BY_EXTENSION = {
    ".csv": "text/csv",
    ".vcf": "text/vcard",
    ".vcard": "text/vcard",
    ".ics": "text/calendar",
    ".ical": "text/calendar",
    ".html": "text/html",
    ".htm": "text/html",
    ".svg": "image/svg+xml",
    ".sh": "application/x-sh",
    ".bash": "application/x-sh",
    ".command": "application/x-sh",
    ".bat": "application/x-msdos-program",
    ".cmd": "application/x-msdos-program",
}
# Windows installers are OLE containers, like Office 97 files, and filetype names neither
# kind unless it finds Word's or Excel's own markers: an OLE container named .msi is one.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def content_type_detect(*, head: bytes, is_text: bool, filename: str) -> str:
    """The content type of a file, from its first bytes.

    ``head``: the file's first bytes (8 KiB is enough); ``is_text``: whether the whole file
    is UTF-8 without NUL. Binary formats are recognised by their signature (``filetype``);
    text by its start (``#!`` scripts, SVG, HTML) or, failing that, its extension (CSV,
    vCard, iCalendar, ...), else text/plain; anything else is application/octet-stream.
    """
    extension = os.path.splitext(filename)[1].lower()
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if not is_text:
        if head.startswith(_OLE_SIGNATURE) and extension == ".msi":
            return "application/x-msi"
        return "application/octet-stream"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024].lower()
    if start.startswith(b"#!"):
        return "application/x-sh"
    if b"<svg" in start:
        return "image/svg+xml"
    if start.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return _TEXT_TYPES_BY_EXTENSION.get(extension, "text/plain")


def filename_clean(name: str) -> str:
    """A name safe to show and to put in a header: the last part of any path the client
    sent, without control or formatting characters (a right-to-left override makes
    "invoice\u202efdp.exe" look like a PDF), at most 255 characters (the extension kept).
    """
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = name.strip()
    if name in ("", ".", ".."):
        return "attachment"
    if len(name) > FILENAME_MAX_LENGTH:
        stem, extension = os.path.splitext(name)
        if len(extension) > 20:  # not an extension: a dot somewhere in a long name
            stem, extension = name, ""
        name = stem[: FILENAME_MAX_LENGTH - len(extension)] + extension
    return name


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True, eq=False)
class CheckedFile:
    """A file that passed a policy, with what storing it needs (read once, at the check)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    file: File


# What attachments_check takes: an uploaded file, or (filename, bytes or a binary file
# object, declared type) as decoded from JSON. The declared type is never used.
IncomingFile = UploadedFile | tuple[str, bytes | IO[bytes], str | None]


def attachments_check(
    files: Iterable[IncomingFile], *, policy: AttachmentPolicy
) -> list[CheckedFile]:
    """Check files against ``policy`` before anything is stored; read each once.

    Raises ``ValidationError`` (400) for too many files or a type the policy refuses (the
    file named, with its detected type and what is allowed), ``PayloadTooLarge`` (413) when
    the files are larger in all than the policy takes.
    """
    incoming = [_as_file(item) for item in files]
    if len(incoming) > policy.max_files:
        raise ValidationError(
            f"{_capitalised(policy.what)} can carry at most {policy.max_files} files; "
            f"{len(incoming)} were attached."
        )
    total = sum(file.size for _, file in incoming)
    if total > policy.max_total_bytes:
        raise PayloadTooLarge(_too_large_message(total, policy))
    checked = []
    for filename, file in incoming:
        size, sha256, head, is_text = _read(file)
        content_type = content_type_detect(head=head, is_text=is_text, filename=filename)
        if not policy.allows(content_type):
            raise ValidationError(
                f"{filename} is {_article(content_type)} {content_type} file; "
                f"{policy.what} can carry {policy.allowed_description}."
            )
        checked.append(CheckedFile(filename, content_type, size, sha256, file))
    return checked


def _as_file(item: IncomingFile) -> tuple[str, File]:
    if isinstance(item, UploadedFile):
        return filename_clean(item.name or ""), item
    filename, content, _declared_type = item
    if isinstance(content, bytes | bytearray):
        return filename_clean(filename), ContentFile(bytes(content))
    return filename_clean(filename), File(content)


def _read(file: File) -> tuple[int, str, bytes, bool]:
    """Size, sha256, the first bytes, and whether all of it is UTF-8 text without NUL."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    size = 0
    is_text = True
    for chunk in file.chunks():
        if len(head) < _HEAD_BYTES:
            head += chunk[: _HEAD_BYTES - len(head)]
        digest.update(chunk)
        size += len(chunk)
        if is_text:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                is_text = False
            is_text = is_text and b"\x00" not in chunk
    if is_text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_text = False
    return size, digest.hexdigest(), head, is_text


def _too_large_message(size: int, policy: AttachmentPolicy) -> str:
    return (
        f"The files come to {size:,} bytes; {policy.what} can carry at most "
        f"{_megabytes(policy.max_total_bytes)} ({policy.max_total_bytes:,} bytes) in all. "
        "Send fewer or smaller files."
    )


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:g} MB"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _article(content_type: str) -> str:
    return "an" if content_type[:1] in "aeiou" else "a"


# --------------------------------------------------------------------------- storing


def attachments_store(
    files: Iterable[IncomingFile], *, policy: AttachmentPolicy
) -> list[Attachment]:
    """Check every file against ``policy`` (see attachments_check), then store them all.

    Nothing is stored unless every file passes. The rows are written in one transaction;
    a file whose row could not be written is deleted again. Files written for rows that a
    caller's enclosing transaction later rolls back stay in storage, unreachable (nothing
    serves a file without its row).
    """
    return _store(attachments_check(files, policy=policy))


def attachment_store(
    *, filename: str, content: bytes | IO[bytes], policy: AttachmentPolicy
) -> Attachment:
    """Check one file (bytes, or a binary file object) against ``policy`` and store it."""
    return attachments_store([(filename, content, None)], policy=policy)[0]


def attachments_write(
    files: Iterable[IncomingFile], *, policy: AttachmentPolicy
) -> list[Attachment]:
    """Check every file against ``policy`` (see attachments_check), then write their bytes
    to storage; return the rows unsaved, for ``attachments_save`` in the caller's
    transaction. Written first, so that the storage's calls (a network service, with S3)
    never run inside a database transaction, and a rolled-back transaction leaves no row.
    """
    return _write(attachments_check(files, policy=policy))


def attachments_save(attachments: list[Attachment]) -> None:
    """Save the rows of files ``attachments_write`` wrote (one INSERT)."""
    Attachment.objects.bulk_create(attachments)


def _store(checked: list[CheckedFile]) -> list[Attachment]:
    attachments = _write(checked)
    try:
        with transaction.atomic():
            attachments_save(attachments)
    except BaseException:
        _delete_files(attachments)
        raise
    return attachments


def _write(checked: list[CheckedFile]) -> list[Attachment]:
    attachments = []
    try:
        for item in checked:
            attachment = Attachment(
                filename=item.filename,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
            )
            # The name passed here is ignored by the model's upload_to: the stored path is
            # made of the date and the row's id.
            attachment.file.save(item.filename, item.file, save=False)
            attachments.append(attachment)
    except BaseException:
        _delete_files(attachments)
        raise
    return attachments


def _delete_files(attachments: list[Attachment]) -> None:
    for attachment in attachments:
        attachment.file.storage.delete(attachment.file.name)


# --------------------------------------------------------------------------- fetching


class FetchError(ApplicationError):
    """A remote file could not be downloaded.

    ``permanent``: asking again will not help (the server answered 4xx: gone, forbidden);
    otherwise (timeouts, connection errors, 5xx, 408, 429) a later attempt may work.
    """

    status_code = 502

    def __init__(self, message: str, *, permanent: bool, status: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status = status


_FETCH_CHUNK_BYTES = 64 * 1024
_FETCH_MAX_REDIRECTS = 5
# The whole download, however slowly a server trickles it: requests' timeout bounds each
# wait for a byte, not the sum of them.
FETCH_DEADLINE_SECONDS = 120.0


def attachment_fetch(
    url: str,
    *,
    auth: tuple[str, str] | None = None,
    policy: AttachmentPolicy,
    timeout: float | None = None,
    filename: str | None = None,
) -> Attachment:
    """Download ``url`` and store it under ``policy`` (e.g. an inbound MMS's MediaUrl).

    ``auth``: HTTP Basic credentials (Twilio's media URLs ask for the Account SID and Auth
    Token, or an API key and secret). Redirects are followed (Twilio answers with one to
    its storage); requests drops the credentials when a redirect leaves the host, so they
    never reach the storage it points at. ``timeout`` bounds each connect and each read
    (default PROVIDER_TIMEOUT_SECONDS) and FETCH_DEADLINE_SECONDS the whole download. The
    body is streamed to a temporary file and abandoned as soon as it passes the policy's
    total size, whatever Content-Length said. ``filename``: the name to show; by default
    the one in Content-Disposition, else the URL's last segment, given the extension of
    the detected type when it has none (Twilio's media URLs end with the Media SID).

    One file, held to the policy alone: a caller fetching several (an MMS's media) checks
    their number first and their total with the rows it gets back.

    Only for URLs a provider handed Hatch (an authentic webhook): it fetches any URL.

    Raises ``FetchError`` (connection, timeout, non-2xx), ``PayloadTooLarge`` and
    ``ValidationError`` (the policy's limits, as attachments_check).
    """
    timeout = settings.PROVIDER_TIMEOUT_SECONDS if timeout is None else timeout
    shown = _url_for_messages(url)
    with (
        tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as spool,
        requests.Session() as session,
    ):
        session.max_redirects = _FETCH_MAX_REDIRECTS
        try:
            with session.get(url, auth=auth, stream=True, timeout=timeout) as response:
                _check_status(response, shown)
                name = filename or _remote_filename(response, url)
                _download(response, spool, policy=policy, url=shown)
        except requests.RequestException as error:
            raise FetchError(
                f"Could not download {shown}: {_describe(error)}.", permanent=False
            ) from error
        (checked,) = attachments_check([(name, spool, None)], policy=policy)
        if not os.path.splitext(checked.filename)[1]:
            name = checked.filename + _extension_for(checked.content_type)
            checked = replace(checked, filename=filename_clean(name))
        (attachment,) = _store([checked])
        return attachment


def _extension_for(content_type: str) -> str:
    if content_type == "application/octet-stream":
        return ""  # unknown bytes: no extension says more than that (filetype would say .eot)
    kind = filetype.get_type(mime=content_type)
    if kind is not None:
        return f".{kind.extension}"
    return mimetypes.guess_extension(content_type) or ""


def _check_status(response: requests.Response, url: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    permanent = 400 <= status < 500 and status not in (408, 429)
    raise FetchError(
        f"Could not download {url}: the server answered {status} {response.reason}.",
        permanent=permanent,
        status=status,
    )


def _download(
    response: requests.Response, spool: IO[bytes], *, policy: AttachmentPolicy, url: str
) -> None:
    cap = policy.max_total_bytes
    try:
        declared = int(response.headers.get("Content-Length", ""))
    except ValueError:
        declared = None
    if declared is not None and declared > cap:
        raise PayloadTooLarge(
            f"The file at {url} is {declared:,} bytes; {policy.what} can carry at most "
            f"{_megabytes(cap)} ({cap:,} bytes) in all."
        )
    deadline = time.monotonic() + FETCH_DEADLINE_SECONDS
    received = 0
    for chunk in response.iter_content(_FETCH_CHUNK_BYTES):
        received += len(chunk)
        if received > cap:
            raise PayloadTooLarge(
                f"The file at {url} is larger than {policy.what} can carry "
                f"({_megabytes(cap)}, {cap:,} bytes, in all); the download was stopped."
            )
        if time.monotonic() > deadline:
            raise FetchError(
                f"Could not download {url}: it took longer than "
                f"{FETCH_DEADLINE_SECONDS:g} seconds.",
                permanent=False,
            )
        spool.write(chunk)
    spool.seek(0)


def _remote_filename(response: requests.Response, url: str) -> str:
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        header = email.message.Message()
        header["Content-Disposition"] = disposition
        if name := header.get_filename():
            return name
    path = urlsplit(response.url or url).path
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]) or "attachment"


def _url_for_messages(url: str) -> str:
    """The URL without credentials or query string (a signed URL's signature)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return parts._replace(netloc=host, query="", fragment="").geturl()


def _describe(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    if isinstance(error, requests.TooManyRedirects):
        return f"more than {_FETCH_MAX_REDIRECTS} redirects"
    if isinstance(error, requests.ConnectionError):
        return "the connection failed"
    return type(error).__name__
