"""SendGrid Inbound Parse posts as SendGrid sends them: real multipart/form-data bytes,
posted to /webhooks/sendgrid/inbound through Django's test client with Basic credentials.

The field builders are test_inbound_parse's (default mode taken apart into fields, raw mode
with a whole MIME message built by the email package); here they become request bodies.
"""

import base64
import json
from email.message import EmailMessage
from email.utils import format_datetime

from urllib3.filepost import encode_multipart_formdata

from emails.tests.test_inbound_parse import SENT_AT, header_block

INBOUND_PATH = "/webhooks/sendgrid/inbound"
USERNAME = "sendgrid-parse"
PASSWORD = "p4rse:secret"  # a colon in the password: only the first one splits
HATCH_ADDRESS = "team@hatch.test"  # where customers write (and what Hatch sends from)
CUSTOMER = "ana@example.com"


def basic(username: str = USERNAME, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def multipart(fields: dict, files: dict | None = None) -> tuple[bytes, str]:
    """The body and Content-Type of a post of ``fields`` and ``files`` ({name: (filename,
    bytes, content type)}), encoded as SendGrid encodes its posts."""
    return encode_multipart_formdata(list(fields.items()) + list((files or {}).items()))


def post_inbound(client, fields: dict, files: dict | None = None, *, authorization=None):
    """POST the form to the Inbound Parse webhook; ``authorization`` defaults to the right
    Basic credentials (pass "" for none)."""
    body, content_type = multipart(fields, files)
    headers = {}
    authorization = basic() if authorization is None else authorization
    if authorization:
        headers["Authorization"] = authorization
    return client.generic(
        "POST", INBOUND_PATH, data=body, content_type=content_type, headers=headers
    )


def envelope(*recipients: str, sender: str = CUSTOMER) -> str:
    return json.dumps({"to": list(recipients or [HATCH_ADDRESS]), "from": sender})


def default_fields(**overrides) -> dict:
    """A default-mode post from Ana to Hatch's address: the email taken apart into fields.
    ``headers`` (the raw header block) carries its Message-ID and any threading headers."""
    fields = {
        "headers": header_block(
            Message_ID="<CAJ1@mail.example.com>",
            Date=format_datetime(SENT_AT),
            From=f"Ana Lima <{CUSTOMER}>",
            To=HATCH_ADDRESS,
            Subject="Order 1234",
        ),
        "dkim": "{@example.com : pass}",
        "to": HATCH_ADDRESS,
        "from": f"Ana Lima <{CUSTOMER}>",
        "subject": "Order 1234",
        "text": "Where is my order?\n",
        "html": "<p>Where is my order?</p>",
        "sender_ip": "203.0.113.5",
        "envelope": envelope(),
        "attachments": "0",
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8"}),
        "SPF": "pass",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def mime(
    *,
    subject: str = "Order 1234",
    text: str | None = "Where is my order?\n",
    html: str | None = None,
    sender: str = f"Ana Lima <{CUSTOMER}>",
    to: str = HATCH_ADDRESS,
    **headers: str,
) -> EmailMessage:
    """A whole email as a mail client writes it; ``headers`` by Python name (Message_ID,
    In_Reply_To, References, Cc...)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if subject:
        message["Subject"] = subject
    message["Date"] = format_datetime(SENT_AT)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message


def raw_fields(message: EmailMessage | str, **fields) -> dict:
    """A raw-mode post ("POST the raw, full MIME message"): the message in ``email``."""
    return {"email": str(message), "envelope": envelope(), **fields}
