"""SendGrid Inbound Parse, read: the Basic credentials check, and a post as an InboundEmail.

SendGrid POSTs each email it receives for Hatch's parse domain as multipart/form-data, in
one of two modes (the Inbound Parse setting "POST the raw, full MIME message"):

- default: the email taken apart into fields: ``headers`` (the raw header block), ``from``,
  ``to``, ``cc``, ``subject``, ``text``, ``html``, ``envelope`` (JSON), ``charsets``
  (JSON), ``spam_score``, ``attachment-info`` (JSON) and the files ``attachment1..N``;
- raw: the whole MIME message in the ``email`` field, with ``envelope`` and the spam check
  beside it. Raw mode is the one to configure: it keeps every charset and every attachment
  (see ``_default_mode`` for what the default mode loses).

Inbound Parse signs nothing: the URL configured at SendGrid carries Basic credentials
(``https://user:password@.../webhooks/sendgrid/inbound``), checked by ``credentials_match``.
SendGrid's field names stop here: the rest of Hatch sees ``emails.events.InboundEmail``.
"""

import base64
import binascii
import hmac
import json
import math
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

from emails.events import InboundAttachment, InboundEmail


class InboundParseError(ValueError):
    """A post Hatch cannot read as an email; the message says what is wrong (a 400)."""


def credentials_match(authorization_header: str | None) -> bool:
    """Whether an ``Authorization: Basic ...`` header carries SENDGRID_INBOUND_USERNAME and
    SENDGRID_INBOUND_PASSWORD. False when either setting is empty: no inbound email is
    accepted from anyone until both are set."""
    username = settings.SENDGRID_INBOUND_USERNAME
    password = settings.SENDGRID_INBOUND_PASSWORD
    if not (username and password):
        return False
    given = _basic_credentials(authorization_header or "")
    if given is None:
        return False
    # Both compared, always, in constant time: neither the time taken nor an early return
    # tells a caller how much of the username (or that the username) was right.
    username_matches = hmac.compare_digest(given[0].encode(), username.encode())
    password_matches = hmac.compare_digest(given[1].encode(), password.encode())
    return username_matches and password_matches


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """(username, password) from a Basic Authorization header; None for anything else."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def parse_inbound_request(request: HttpRequest) -> InboundEmail:
    """The email an Inbound Parse request carries; InboundParseError if it carries none."""
    return parse_inbound(*_inbound_form(request))


def parse_inbound(data: QueryDict, files: MultiValueDict) -> InboundEmail:
    """The email in a SendGrid Inbound Parse post (``request.POST``, ``request.FILES``),
    in either mode. Raises InboundParseError for a post that is not one; fields SendGrid
    may add later are ignored."""
    if "email" in data:
        email = _raw_mode(data["email"])
    elif "from" in data:
        email = _default_mode(data, files)
    else:
        raise InboundParseError(
            "This is not a SendGrid Inbound Parse post: it has neither the 'email' field "
            "(raw mode) nor the 'from' field (default mode)."
        )
    return InboundEmail(
        **email,
        envelope_to=_envelope_recipients(data.get("envelope")),
        spam_score=_spam_score(data.get("spam_score")),
    )


def _default_mode(data: QueryDict, files: MultiValueDict) -> dict[str, Any]:
    # Django decodes every multipart text field as UTF-8 (errors replaced), because SendGrid
    # labels no part with a charset; the ``charsets`` field names the real ones only
    # afterwards. So in this mode a text or html body in another charset (Latin-1,
    # Shift_JIS, ...) arrives with U+FFFD where its accented letters were, and Django drops
    # attachments whose filename it refuses. Raw mode has neither problem; this mode is
    # read for a parse setting that was never switched.
    senders = _addresses("from", data["from"])
    if not senders:
        raise InboundParseError(
            f"The 'from' field has no email address in it: {data['from'][:200]!r}."
        )
    headers = _header_block(data.get("headers", ""))
    return {
        "from_name": senders[0][0],
        "from_address": senders[0][1],
        "to": tuple(address for _, address in _addresses("to", *data.getlist("to"))),
        "cc": tuple(address for _, address in _addresses("cc", *data.getlist("cc"))),
        "subject": _header_text("subject", data.get("subject", "")),
        "text": data.get("text", ""),
        "html": data.get("html", ""),
        "attachments": _posted_attachments(data, files),
        **_threading(headers),
    }


def _raw_mode(mime: str) -> dict[str, Any]:
    # Django decoded the field as UTF-8; encoded back, it is the message's exact bytes
    # whenever those were ASCII (nearly every message: bodies travel as quoted-printable
    # or base64) or UTF-8. Each part is then decoded by the charset it declares.
    message = BytesParser(policy=policy.default).parsebytes(mime.encode("utf-8"))
    headers = _raw_headers(message)
    senders = _addresses("from", *headers.get("from", []))
    if not senders:
        raise InboundParseError(
            "The MIME message in the 'email' field has no From address: is it a whole email "
            "(headers, a blank line, then the body)?"
        )
    parts = list(_leaf_parts(message))
    text_part = _body(parts, "text/plain")
    html_part = _body(parts, "text/html")
    return {
        "from_name": senders[0][0],
        "from_address": senders[0][1],
        "to": tuple(address for _, address in _addresses("to", *headers.get("to", []))),
        "cc": tuple(address for _, address in _addresses("cc", *headers.get("cc", []))),
        "subject": _header_text("subject", _first(headers, "subject")),
        "text": _decoded_text(text_part) if text_part else "",
        "html": _decoded_text(html_part) if html_part else "",
        "attachments": tuple(
            _mime_attachment(part)
            for part in parts
            if part is not text_part and part is not html_part and _is_attachment(part)
        ),
        **_threading(headers),
    }


def _header_block(block: str) -> dict[str, list[str]]:
    """The default mode's ``headers`` field, as raw values by lower-cased name."""
    return _raw_headers(HeaderParser(policy=policy.default).parsestr(block))


def _raw_headers(message: EmailMessage) -> dict[str, list[str]]:
    # Raw values, unfolded, rather than the parsed header objects: a garbled header then
    # costs its own value, never the whole email (the parser can raise on some).
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        value = re.sub(r"\r?\n(?=[ \t])", "", _without_surrogates(str(value)))
        headers.setdefault(name.lower(), []).append(value)
    return headers


def _without_surrogates(value: str) -> str:
    """The parser keeps a header's 8-bit bytes (UTF-8, from SMTPUTF8 senders) as
    surrogates, which PostgreSQL cannot store: back to bytes, then decoded as UTF-8."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _first(headers: dict[str, list[str]], name: str) -> str:
    return headers.get(name, [""])[0]


def _threading(headers: dict[str, list[str]]) -> dict[str, Any]:
    """Message-ID, In-Reply-To, References and Date: what a reply is threaded by."""
    message_ids = _message_ids(_first(headers, "message-id"))
    return {
        "message_id": message_ids[0] if message_ids else "",
        "in_reply_to": _message_ids(_first(headers, "in-reply-to")),
        "references": _message_ids(" ".join(headers.get("references", []))),
        "sent_at": _date(_first(headers, "date")),
    }


def _message_ids(value: str) -> tuple[str, ...]:
    """The ids in a Message-ID, In-Reply-To or References header, without <>, in order.

    Mailers add comments ("<id> (Fred's message of ...)"); a few write a bare id.
    """
    ids = re.findall(r"<([^<>\s]+)>", value)
    if not ids and "<" not in value:
        ids = [token for token in value.split() if "@" in token]
    return tuple(ids)


def _date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        sent_at = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    # "-0000" means UTC with the sender's zone unknown (RFC 5322): Python leaves it naive.
    return sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)


def _header_text(name: str, value: str) -> str:
    """A header's value as a person reads it: encoded words (=?utf-8?q?...?=) decoded,
    addresses quoted where their display name needs it."""
    try:
        return str(policy.default.header_factory(name, value))
    except Exception:
        # The email package's header parser raises AttributeError, IndexError and others on
        # some malformed values: a garbled header costs its decoding, never the email.
        return value


def _addresses(name: str, *values: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) for each address in the header values; entries
    without an "@" ("undisclosed-recipients:;", a bare name) are left out."""
    # Decoded first: an encoded display name may hide a comma ("=?utf-8?q?Doe,_Jo?=").
    decoded = [_header_text(name, value) for value in values]
    return [
        (display_name, address.lower())
        for display_name, address in getaddresses(decoded)
        if "@" in address
    ]


def _leaf_parts(part: EmailMessage):
    """The message's parts that hold content, in order, through nested multiparts
    (alternative, related, mixed). An attached email (message/rfc822) is one part: its own
    parts are not this email's."""
    # is_multipart(), not the declared type: a "multipart" whose boundary is missing is
    # parsed as one string, which iter_parts() (and so get_body()) would walk letter by
    # letter.
    if part.is_multipart() and part.get_content_maintype() != "message":
        for child in part.get_payload():
            yield from _leaf_parts(child)
    else:
        yield part


def _body(parts: list[EmailMessage], content_type: str) -> EmailMessage | None:
    """The first part of this type that is not an attachment: the body a mail client
    shows (text/plain and text/html are each looked for, through any nesting)."""
    for part in parts:
        if part.get_content_type() == content_type and not (
            part.get_filename() or part.get_content_disposition() == "attachment"
        ):
            return part
    return None


def _is_attachment(part: EmailMessage) -> bool:
    return bool(
        part.get_filename()
        or part.get_content_disposition() == "attachment"
        or part["Content-ID"]
        or part.get_content_maintype() not in ("text", "multipart")
    )


def _mime_attachment(part: EmailMessage) -> InboundAttachment:
    if part.get_content_type() == "message/rfc822":
        # compat32 writes the attached email's headers back as received; policy.default
        # would refold them, and mangle any in 8-bit UTF-8.
        content = part.get_payload(0).as_bytes(policy=policy.compat32)
    else:
        content = part.get_payload(decode=True) or b""
    return InboundAttachment(
        filename=_without_surrogates(part.get_filename() or ""),
        content_type=_without_surrogates(part.get_content_type()),
        content=content,
        content_id=_content_id(_without_surrogates(str(part["Content-ID"] or ""))),
    )


def _decoded_text(part: EmailMessage) -> str:
    """A text part decoded by the charset it declares; a part that declares none, or one
    that is no text encoding Python knows ("x-unknown", "zlib"), is read as UTF-8 (a
    superset of the ASCII RFC 2045 assumes)."""
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return payload.decode("utf-8", errors="replace")


def _posted_attachments(data: QueryDict, files: MultiValueDict) -> tuple[InboundAttachment, ...]:
    """The files ``attachment1..N``, with what ``attachment-info`` says of each."""
    info = _json_object(data, "attachment-info", '{"attachment1": {"filename": ...}}')
    # {"<content id>": "attachment2"}: which file an HTML's cid: URL shows.
    content_ids = {
        str(key): content_id
        for content_id, key in _json_object(data, "content-ids", '{"<id>": "attachment1"}').items()
    }
    keys = sorted(
        (key for key in files if re.fullmatch(r"attachment[0-9]+", key)),
        key=lambda key: int(key.removeprefix("attachment")),
    )
    attachments = []
    for key in keys:
        upload = files[key]
        details = info.get(key)
        details = details if isinstance(details, dict) else {}
        attachments.append(
            InboundAttachment(
                filename=str(details.get("filename") or details.get("name") or upload.name),
                content_type=str(
                    details.get("type") or upload.content_type or "application/octet-stream"
                ),
                content=b"".join(upload.chunks()),
                content_id=_content_id(str(details.get("content-id") or content_ids.get(key, ""))),
            )
        )
    return tuple(attachments)


def _content_id(value: str) -> str:
    return value.strip().removeprefix("<").removesuffix(">").strip()


def _json_object(data: QueryDict, name: str, shape: str) -> dict:
    if not data.get(name):
        return {}
    try:
        value = json.loads(data[name])
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InboundParseError(f"The '{name}' field is not a JSON object like {shape}.")
    return value


def _envelope_recipients(envelope: str | None) -> tuple[str, ...]:
    """The recipients in ``envelope`` ({"to": [...], "from": "..."}), lower-cased."""
    if not envelope:
        return ()
    try:
        parsed = json.loads(envelope)
    except ValueError:
        parsed = None
    recipients = parsed.get("to", []) if isinstance(parsed, dict) else None
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise InboundParseError(
            'The \'envelope\' field is not JSON like {"to": ["team@parse.example.com"], '
            '"from": "sender@example.com"}.'
        )
    return tuple(address for _, address in _addresses("to", *recipients))


def _spam_score(value: str | None) -> float | None:
    """SendGrid's spam score, when its spam check ran; None for anything but a number."""
    try:
        score = float(value or "")
    except ValueError:
        return None
    return score if math.isfinite(score) else None


def _inbound_form(request: HttpRequest) -> tuple[QueryDict, MultiValueDict]:
    """The post's fields and files, read from the body (held to
    SENDGRID_INBOUND_MAX_BODY_SIZE by web.request_limits).

    Django's own multipart parser caps a form's text fields at DATA_UPLOAD_MAX_MEMORY_SIZE
    (1 MiB) in all, for every route alike, and Inbound Parse sends the email as text
    fields: the whole MIME message in raw mode, ``text`` and ``html`` in default mode. An
    email over that limit, a 2 MB attachment in raw mode say, would be refused, and
    SendGrid drops what is refused. So the body is parsed here with the standard library's
    MIME parser (multipart/form-data is MIME), which keeps every part's bytes exactly.
    """
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.content_type != "multipart/form-data":
        # SendGrid always posts multipart; anything else gets Django's reading (and limits).
        return request.POST, request.FILES
    try:
        header = f"Content-Type: {content_type}\r\n\r\n".encode("ascii")
    except UnicodeEncodeError:
        raise InboundParseError("The Content-Type header is not ASCII.") from None
    message = BytesParser(policy=policy.compat32).parsebytes(header + request.body)
    parts = message.get_payload() if message.is_multipart() else None
    if not parts or not message.get_boundary():
        raise InboundParseError(
            "The body is not multipart/form-data with a boundary, as SendGrid posts."
        )
    if len(parts) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
        raise InboundParseError(
            f"The form has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields."
        )
    form = QueryDict(mutable=True)
    files = MultiValueDict()
    for part in parts:
        disposition = _disposition(part)
        name = _text(disposition.get_param("name", header="content-disposition"))
        if not name:
            continue  # a part that names no field (no form would send one)
        content = part.get_payload(decode=True) or b""
        filename = disposition.get_filename()
        if filename is None:
            form.appendlist(name, content.decode("utf-8", "replace"))
        else:
            files.appendlist(
                name,
                SimpleUploadedFile(
                    _text(filename), content, part.get_content_type() or "application/octet-stream"
                ),
            )
    form._mutable = False
    return form, files


def _disposition(part: Message) -> Message:
    """The part's Content-Disposition alone, its raw 8-bit bytes read as UTF-8 (browsers
    and SendGrid write a file name so): the parser keeps them as surrogates, which reading
    the header through the part would turn into U+FFFD."""
    raw = next(
        (value for key, value in part.raw_items() if key.lower() == "content-disposition"), ""
    )
    header = Message()
    header["Content-Disposition"] = raw.encode("utf-8", "surrogateescape").decode(
        "utf-8", "replace"
    )
    return header


def _text(value) -> str:
    """A header parameter as text, RFC 2231 values (filename*=utf-8''...) collapsed."""
    if value is None:
        return ""
    return collapse_rfc2231_value(value).strip()
