"""SendGrid Inbound Parse posts, read into Hatch's InboundEmail; and their Basic credentials.

Each post is real multipart/form-data, as SendGrid sends it, parsed by Django's own
MultiPartParser (request.POST, request.FILES); raw-mode posts carry a real MIME message built
with the email package.
"""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.test import RequestFactory
from urllib3.filepost import encode_multipart_formdata

from emails.events import InboundAttachment, InboundEmail
from emails.providers.sendgrid.inbound import InboundParseError, credentials_match, parse_inbound

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # binary: every byte value survives
PDF = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF"
SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=1)))
ENVELOPE = json.dumps({"to": ["Team@Parse.Hatch.Test"], "from": "bounce@example.com"})


def sendgrid_post(fields: dict, files: dict | None = None):
    """``request.POST`` and ``request.FILES`` for a post of ``fields`` (and files, as
    {name: (filename, content, content type)}), as Django parses SendGrid's multipart body."""
    body, content_type = encode_multipart_formdata(
        list(fields.items()) + list((files or {}).items())
    )
    request = RequestFactory().generic(
        "POST", "/webhooks/sendgrid/inbound", data=body, content_type=content_type
    )
    return request.POST, request.FILES


def raw_post(message: EmailMessage | str, **fields):
    """A raw-mode post ("POST the raw, full MIME message"): the message in ``email``."""
    fields.setdefault("envelope", ENVELOPE)
    return sendgrid_post({"email": str(message), **fields})


def header_block(**headers) -> str:
    """The default mode's ``headers`` field: the raw header lines, as received."""
    lines = [
        "Received: from mail.example.com by mx.sendgrid.net with SMTP id abc",
        "MIME-Version: 1.0",
    ] + [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return "\n".join(lines) + "\n"


def default_post(files=None, **overrides):
    """A default-mode post, as SendGrid takes an email apart into fields."""
    fields = {
        "headers": header_block(
            Message_ID="<CAJ1@mail.example.com>",
            Date=format_datetime(SENT_AT),
            From="Ana Lima <Ana@Example.com>",
            To="team@parse.hatch.test",
            Subject="Order 1234",
        ),
        "dkim": "{@example.com : pass}",
        "to": "team@parse.hatch.test",
        "from": "Ana Lima <Ana@Example.com>",
        "subject": "Order 1234",
        "text": "Where is my order?\n",
        "html": "<p>Where is my order?</p>",
        "sender_ip": "203.0.113.5",
        "envelope": ENVELOPE,
        "attachments": "0",
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
        "SPF": "pass",
    }
    fields.update(overrides)
    return sendgrid_post({key: value for key, value in fields.items() if value is not None}, files)


def customer_email() -> EmailMessage:
    """A reply as a real mail client writes it: text in Latin-1 (base64), HTML in UTF-8
    (quoted-printable) showing an inline image, and a PDF attached."""
    message = EmailMessage()
    message["From"] = "Jörg Müller <Joerg@Example.DE>"
    message["To"] = "Hatch Team <Team@Parse.Hatch.Test>, colleague@example.de"
    message["Cc"] = "Boss <BOSS@example.de>, undisclosed-recipients:;"
    message["Subject"] = "Rückfrage zur Bestellung"
    message["Date"] = format_datetime(SENT_AT)
    message["Message-ID"] = "<reply-2@mail.example.de>"
    message["In-Reply-To"] = "<hatch-1@hatch.test> (Hatch's message of Monday)"
    message["References"] = "<root-0@mail.example.de> <hatch-1@hatch.test>"
    message.set_content("Grüße aus Köln, ¿qué tal?\n", charset="iso-8859-1", cte="base64")
    html = (
        "<p>Grüße aus Köln, " + "a long line that quoted-printable must wrap = " * 3 + "</p>"
        '<img src="cid:logo@mail.example.de">'
    )
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message.get_payload()[1].add_related(
        PNG, "image", "png", cid="<logo@mail.example.de>", filename="logo.png"
    )
    message.add_attachment(PDF, "application", "pdf", filename="Rechnung 04.pdf")
    return message


class TestRawMode:
    def test_the_sender_and_recipients_are_read_lower_cased(self):
        email = parse_inbound(*raw_post(customer_email()))

        assert email.from_address == "joerg@example.de"
        assert email.from_name == "Jörg Müller"
        assert email.to == ("team@parse.hatch.test", "colleague@example.de")
        # A group with no address in it names nobody.
        assert email.cc == ("boss@example.de",)
        assert email.envelope_to == ("team@parse.hatch.test",)

    def test_the_threading_headers_are_read_without_brackets(self):
        email = parse_inbound(*raw_post(customer_email()))

        assert email.message_id == "reply-2@mail.example.de"
        assert email.in_reply_to == ("hatch-1@hatch.test",)
        assert email.references == ("root-0@mail.example.de", "hatch-1@hatch.test")
        assert email.sent_at == SENT_AT
        assert email.dedupe_key() == "message-id:reply-2@mail.example.de"

    def test_each_body_is_decoded_by_its_own_charset_and_transfer_encoding(self):
        email = parse_inbound(*raw_post(customer_email()))

        assert email.subject == "Rückfrage zur Bestellung"
        assert email.text == "Grüße aus Köln, ¿qué tal?\n"
        assert email.html.startswith("<p>Grüße aus Köln, a long line that quoted-printable")
        assert "must wrap = a long line" in email.html  # soft line breaks rejoined
        assert email.html.rstrip().endswith('<img src="cid:logo@mail.example.de">')

    def test_attachments_and_inline_images_keep_their_bytes_and_content_ids(self):
        email = parse_inbound(*raw_post(customer_email()))

        assert email.attachments == (
            InboundAttachment("logo.png", "image/png", PNG, content_id="logo@mail.example.de"),
            InboundAttachment("Rechnung 04.pdf", "application/pdf", PDF),
        )

    @pytest.mark.parametrize("charset", ["x-no-such-charset", "zlib", "utf\x00-8"])
    def test_an_unknown_charset_is_read_as_utf8_rather_than_refused(self, charset):
        message = EmailMessage()
        message["From"] = "a@example.com"
        message.set_content("naïve\n".encode(), "text", "plain", cte="base64")
        message.replace_header("Content-Type", "text/plain")
        message.set_param("charset", charset)

        assert parse_inbound(*raw_post(message)).text == "naïve\n"

    def test_a_forwarded_email_is_one_attachment_not_parts_of_this_one(self):
        forwarded = customer_email()
        message = EmailMessage()
        message["From"] = "ana@example.com"
        message["Subject"] = "Fwd: Rückfrage"
        message.set_content("See below.\n")
        message.add_attachment(forwarded)

        email = parse_inbound(*raw_post(message))

        assert email.text == "See below.\n"
        assert [a.content_type for a in email.attachments] == ["message/rfc822"]
        attached = message_from_bytes(email.attachments[0].content, policy=policy.default)
        assert attached["Subject"] == "Rückfrage zur Bestellung"
        assert attached.get_body(("html",)).get_content().startswith("<p>Grüße aus Köln")

    def test_a_header_in_raw_utf8_is_read_as_text(self):
        # SMTPUTF8 senders write headers in 8-bit UTF-8, with no encoded words.
        mime = "From: Zoë <zoe@example.com>\r\nSubject: Café ☕\r\n\r\nHi\r\n"

        email = parse_inbound(*raw_post(mime))

        assert (email.from_name, email.subject, email.text) == ("Zoë", "Café ☕", "Hi\r\n")

    def test_a_message_without_from_is_refused_with_a_reason(self):
        with pytest.raises(InboundParseError, match="no From address"):
            parse_inbound(*raw_post("Subject: hello\r\n\r\nbody\r\n"))

    def test_an_empty_email_field_is_refused(self):
        with pytest.raises(InboundParseError, match="no From address"):
            parse_inbound(*raw_post(""))


class TestDefaultMode:
    def test_the_fields_and_the_threading_headers_are_read(self):
        email = parse_inbound(*default_post())

        assert email == InboundEmail(
            from_address="ana@example.com",
            from_name="Ana Lima",
            to=("team@parse.hatch.test",),
            envelope_to=("team@parse.hatch.test",),
            subject="Order 1234",
            text="Where is my order?\n",
            html="<p>Where is my order?</p>",
            message_id="CAJ1@mail.example.com",
            sent_at=SENT_AT,
        )

    def test_attachments_come_with_their_names_types_and_content_ids(self):
        info = {
            "attachment1": {
                "filename": "Scan 1.pdf",
                "name": "Scan 1.pdf",
                "type": "application/pdf",
            },
            "attachment2": {
                "filename": "logo.png",
                "name": "logo.png",
                "type": "image/png",
                "content-id": "ii_logo01",
            },
        }
        files = {
            "attachment2": ("logo.png", PNG, "image/png"),
            "attachment1": ("Scan 1.pdf", PDF, "application/pdf"),
        }

        email = parse_inbound(
            *default_post(files, attachments="2", **{"attachment-info": json.dumps(info)})
        )

        assert email.attachments == (
            InboundAttachment("Scan 1.pdf", "application/pdf", PDF),
            InboundAttachment("logo.png", "image/png", PNG, content_id="ii_logo01"),
        )

    def test_content_ids_may_come_from_the_content_ids_field(self):
        email = parse_inbound(
            *default_post(
                {"attachment1": ("logo.png", PNG, "image/png")},
                attachments="1",
                **{"content-ids": json.dumps({"ii_logo01": "attachment1"})},
            )
        )

        assert email.attachments[0].content_id == "ii_logo01"

    def test_a_file_without_attachment_info_keeps_its_posted_name_and_type(self):
        email = parse_inbound(*default_post({"attachment1": ("notes.txt", b"hi", "text/plain")}))

        assert email.attachments == (InboundAttachment("notes.txt", "text/plain", b"hi"),)

    def test_a_file_name_keeps_no_folder(self):
        info = {"attachment1": {"filename": "..\\..\\hatch\\settings.py", "type": "text/x-python"}}

        email = parse_inbound(
            *default_post(
                {"attachment1": ("settings.py", b"x", "text/x-python")},
                **{"attachment-info": json.dumps(info)},
            )
        )

        assert email.attachments[0].filename == "settings.py"

    def test_recipients_are_lower_cased_and_entries_without_an_address_dropped(self):
        email = parse_inbound(
            *default_post(
                to='"Team, Support" <Support@Parse.Hatch.Test>, undisclosed-recipients:;',
                cc="Bob <BOB@example.org>, just a name",
            )
        )

        assert email.to == ("support@parse.hatch.test",)
        assert email.cc == ("bob@example.org",)

    def test_the_envelope_names_recipients_hidden_from_to_and_cc(self):
        envelope = {"to": ["team@parse.hatch.test", "BCC@Parse.Hatch.Test"], "from": "x@y.z"}

        email = parse_inbound(*default_post(envelope=json.dumps(envelope)))

        assert email.envelope_to == ("team@parse.hatch.test", "bcc@parse.hatch.test")

    def test_the_spam_score_is_read_when_the_spam_check_ran(self):
        assert parse_inbound(*default_post(spam_score="2.5")).spam_score == 2.5
        assert parse_inbound(*default_post()).spam_score is None
        assert parse_inbound(*default_post(spam_score="nan")).spam_score is None

    def test_fields_sendgrid_may_add_later_are_ignored(self):
        email = parse_inbound(*default_post(spam_report="...", **{"new-field": "{not json"}))

        assert email.from_address == "ana@example.com"

    def test_an_email_with_no_headers_field_has_no_threading(self):
        email = parse_inbound(*default_post(headers=None))

        assert (email.message_id, email.in_reply_to, email.references) == ("", (), ())
        assert email.sent_at is None


class TestThreading:
    def test_a_references_chain_is_kept_in_order_across_folded_lines(self):
        headers = header_block(
            In_Reply_To="<c@example.com>",
            References="<a@example.com> <b@example.com>\n\t<c@example.com>",
        )

        email = parse_inbound(*default_post(headers=headers))

        assert email.in_reply_to == ("c@example.com",)
        assert email.references == ("a@example.com", "b@example.com", "c@example.com")

    def test_a_date_without_a_zone_is_utc_and_a_garbled_one_is_none(self):
        minus_zero = header_block(Date="Mon, 02 Mar 2026 08:30:00 -0000")
        garbled = header_block(Date="yesterday-ish")

        assert parse_inbound(*default_post(headers=minus_zero)).sent_at == datetime(
            2026, 3, 2, 8, 30, tzinfo=UTC
        )
        assert parse_inbound(*default_post(headers=garbled)).sent_at is None


class TestWithoutMessageId:
    def test_the_same_email_posted_twice_has_the_same_key(self):
        headers = header_block(Date=format_datetime(SENT_AT))

        first = parse_inbound(*default_post(headers=headers))
        again = parse_inbound(*default_post(headers=headers))

        assert first.message_id == ""
        assert first.dedupe_key() == again.dedupe_key()
        assert first.dedupe_key().startswith("sha256:")

    def test_a_different_body_has_a_different_key(self):
        headers = header_block(Date=format_datetime(SENT_AT))

        first = parse_inbound(*default_post(headers=headers))
        other = parse_inbound(*default_post(headers=headers, text="Another question\n"))

        assert first.dedupe_key() != other.dedupe_key()

    def test_an_html_only_email_is_keyed_by_its_html(self):
        headers = header_block(Date=format_datetime(SENT_AT))

        first = parse_inbound(*default_post(headers=headers, text=None, html="<p>One</p>"))
        other = parse_inbound(*default_post(headers=headers, text=None, html="<p>Two</p>"))

        assert first.dedupe_key() != other.dedupe_key()

    def test_a_digest_key_never_equals_a_message_id_key(self):
        digest = InboundEmail(from_address="a@example.com").dedupe_key()

        assert InboundEmail(from_address="a@example.com", message_id=digest).dedupe_key() != digest


class TestSubject:
    def test_an_encoded_word_subject_is_decoded(self):
        subject = "=?utf-8?q?R=C3=BCckfrage_zu_?= =?utf-8?b?8J+Tpg==?="

        assert parse_inbound(*default_post(subject=subject)).subject == "Rückfrage zu 📦"

    def test_an_encoded_display_name_with_a_comma_is_one_sender(self):
        email = parse_inbound(
            *default_post(**{"from": "=?utf-8?q?M=C3=BCller,_J=C3=B6rg?= <j@x.de>"})
        )

        assert (email.from_name, email.from_address) == ("Müller, Jörg", "j@x.de")

    def test_line_breaks_injected_into_the_subject_become_spaces(self):
        email = parse_inbound(*default_post(subject="Hello\r\nBcc: victim@example.com\x1b[2J"))

        assert email.subject == "Hello Bcc: victim@example.com [2J"

    def test_an_encoded_line_break_cannot_sneak_in_either(self):
        encoded = "=?utf-8?q?Hello=0D=0ABcc:_victim@example.com?="

        assert parse_inbound(*default_post(subject=encoded)).subject == (
            "Hello Bcc: victim@example.com"
        )

    def test_an_email_may_have_no_subject(self):
        assert parse_inbound(*default_post(subject=None)).subject == ""


def test_nul_characters_are_stripped_from_every_text_field():
    message = EmailMessage()
    message["From"] = "=?utf-8?q?Ana=00?= <ana@example.com>"
    message["Subject"] = "=?utf-8?q?Hi=00there?="
    message["Message-ID"] = "<id-1@example.com>"
    message.set_content("a\x00b\n", cte="base64")
    message.add_attachment(b"\x00binary\x00", "application", "octet-stream", filename="a.bin")

    email = parse_inbound(*raw_post(message))

    assert (email.from_name, email.subject, email.text) == ("Ana", "Hithere", "ab\n")
    # Attachments are bytes, stored as files: theirs are kept.
    assert email.attachments[0].content == b"\x00binary\x00"


class TestMalformedPosts:
    @pytest.mark.parametrize(
        ("overrides", "reason"),
        [
            ({"from": None}, "neither the 'email' field"),
            ({"from": "Just A Name"}, "'from' field has no email address"),
            ({"from": ""}, "'from' field has no email address"),
            ({"envelope": "{to: [x]"}, "'envelope' field is not JSON"),
            ({"envelope": json.dumps({"to": [1, 2]})}, "'envelope' field is not JSON"),
            ({"envelope": json.dumps(["team@parse.hatch.test"])}, "'envelope' field is not JSON"),
            ({"attachment-info": "{attachment1"}, "'attachment-info' field is not a JSON object"),
            ({"attachment-info": "[]"}, "'attachment-info' field is not a JSON object"),
        ],
    )
    def test_a_post_hatch_cannot_read_is_refused_with_a_reason(self, overrides, reason):
        with pytest.raises(InboundParseError, match=reason):
            parse_inbound(*default_post(**overrides))

    def test_the_reason_is_a_value_error_the_view_can_answer_400_with(self):
        assert issubclass(InboundParseError, ValueError)

    def test_a_post_without_message_id_is_fine(self):
        assert parse_inbound(*default_post(headers=header_block())).message_id == ""


class TestCredentials:
    @pytest.fixture(autouse=True)
    def inbound_credentials(self, settings):
        settings.SENDGRID_INBOUND_USERNAME = "sendgrid"
        settings.SENDGRID_INBOUND_PASSWORD = "s3cret:with:colons"

    @staticmethod
    def basic(userinfo: str) -> str:
        return "Basic " + base64.b64encode(userinfo.encode()).decode()

    def test_the_configured_credentials_match(self):
        assert credentials_match(self.basic("sendgrid:s3cret:with:colons"))
        assert credentials_match("basic " + self.basic("sendgrid:s3cret:with:colons")[6:])

    @pytest.mark.parametrize(
        "userinfo",
        ["intruder:s3cret:with:colons", "sendgrid:wrong", "sendgrid:", ":", "sendgrid"],
    )
    def test_a_wrong_username_or_password_does_not(self, userinfo):
        assert not credentials_match(self.basic(userinfo))

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "",
            "Bearer c2VuZGdyaWQ6czNjcmV0OndpdGg6Y29sb25z",
            "Basic",
            "Basic !!!not-base64!!!",
            "Basic " + base64.b64encode(b"sendgrid:\xff\xfe").decode(),
        ],
    )
    def test_a_missing_or_malformed_header_does_not(self, header):
        assert not credentials_match(header)

    @pytest.mark.parametrize("empty", ["SENDGRID_INBOUND_USERNAME", "SENDGRID_INBOUND_PASSWORD"])
    def test_nothing_matches_while_either_setting_is_empty(self, settings, empty):
        setattr(settings, empty, "")

        assert not credentials_match(self.basic("sendgrid:s3cret:with:colons"))
        assert not credentials_match(self.basic(":"))
