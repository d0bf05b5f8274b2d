"""Messages and emails arriving as the providers post them, through Hatch's real webhooks.

Built here from the providers' own rules (Twilio's signature by its SDK, SendGrid's Inbound
Parse raw mode with Basic credentials) rather than borrowed from the channel apps' tests:
this app's tests sit below them (.importlinter), as the app does.
"""

import base64
import json
import uuid
from email.message import EmailMessage
from urllib.parse import urlencode

from django.conf import settings
from twilio.request_validator import RequestValidator

TWILIO_PATH = "/webhooks/twilio/sms"
SENDGRID_PATH = "/webhooks/sendgrid/inbound"
CUSTOMER_PHONE = "+14155552671"
HATCH_NUMBER = "+15005550006"  # TWILIO_FROM_NUMBER of the test settings
HATCH_ADDRESS = "team@hatch.test"  # SENDGRID_FROM_EMAIL of the test settings
INBOUND_USERNAME, INBOUND_PASSWORD = "sendgrid-parse", "parse-secret"


def sms_arrives(client, body: str, *, sender: str = CUSTOMER_PHONE) -> None:
    """An SMS to Hatch's number, posted and signed as Twilio posts it."""
    sid = "SM" + uuid.uuid4().hex
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "From": sender,
        "To": HATCH_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    url = settings.PUBLIC_BASE_URL + TWILIO_PATH
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
    response = client.post(
        TWILIO_PATH,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 200, response.content


def email_arrives(client, *, in_reply_to: str, sender: str, text: str = "Any news?") -> None:
    """A reply to Hatch's email ``in_reply_to`` (its Message-ID), posted as Inbound Parse
    posts a raw message. Needs the ``inbound_credentials`` fixture."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = HATCH_ADDRESS
    message["Subject"] = "Re: Your order"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example.com>"
    message["In-Reply-To"] = f"<{in_reply_to}>"
    message.set_content(text)
    credentials = base64.b64encode(f"{INBOUND_USERNAME}:{INBOUND_PASSWORD}".encode()).decode()
    response = client.post(
        SENDGRID_PATH,
        {"email": str(message), "envelope": json.dumps({"to": [HATCH_ADDRESS], "from": sender})},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 200, response.content
