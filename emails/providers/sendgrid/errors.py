"""SendGrid's failures, each in words a person acts on, with SendGrid's page about it.

Email.error_code holds one of two kinds of code for an email SendGrid did not deliver:
- the HTTP status of a send SendGrid refused (client.py: "400", "401", ...; 429 and 5xx
  only once the outbox's retries have given up), or Hatch's own refusal to put a header
  with a line break on the wire ("header_injection");
- why SendGrid's events say it was not delivered, in Hatch's words (vocabulary.error_code):
  a hard bounce, a block, or a drop and its reason.
"""

from core.failures import FailureReason
from emails.providers.sendgrid.vocabulary import (
    BLOCKED,
    BOUNCE,
    DROPPED,
    DROPPED_BOUNCED,
    DROPPED_INVALID,
    DROPPED_SPAM_REPORT,
    DROPPED_UNSUBSCRIBED,
)

PROVIDER = "SendGrid"

_DOCS = "https://www.twilio.com/docs/sendgrid"
API_ERRORS = f"{_DOCS}/api-reference/how-to-use-the-sendgrid-v3-api/errors"
API_RESPONSES = f"{_DOCS}/api-reference/how-to-use-the-sendgrid-v3-api/responses"
RATE_LIMITS = f"{_DOCS}/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits"
BOUNCES = f"{_DOCS}/ui/sending-email/bounces"
BLOCKS = f"{_DOCS}/ui/sending-email/blocks"
SPAM_REPORTS = f"{_DOCS}/api-reference/spam-reports-api/retrieve-all-spam-reports"
# The Event Webhook reference lists every reason SendGrid drops an email for.
EVENTS = f"{_DOCS}/for-developers/tracking-events/event"

_SENDGRID_DOWN = (
    "SendGrid had a problem on its side",
    "Hatch retried for a while; send it again later. If many emails fail this way, check "
    "SendGrid's status page.",
)

_REASONS = (
    # A send SendGrid refused, by its HTTP status.
    FailureReason(
        "400",
        "SendGrid could not accept the email as it was written",
        "Check the addresses and attachments and send again; if it fails again, give whoever "
        "runs Hatch the error shown in the delivery details.",
        API_ERRORS,
    ),
    FailureReason(
        "401",
        "SendGrid refused Hatch's key",
        "Whoever runs Hatch must check the SendGrid API key (SENDGRID_API_KEY); no email "
        "goes out until it is fixed. Then retry.",
        API_ERRORS,
    ),
    FailureReason(
        "403",
        "SendGrid would not send from this address",
        "The From address must be a verified sender or domain in SendGrid: ask whoever runs "
        "Hatch to verify it, then retry.",
        API_RESPONSES,
    ),
    FailureReason(
        "413",
        "The email is too big for SendGrid",
        "Send smaller or fewer attachments, or share a link to the files, and send again.",
        API_ERRORS,
    ),
    FailureReason(
        "429",
        "SendGrid asked Hatch to slow down (too many emails at once)",
        "Hatch retried for a while; send it again in a few minutes.",
        RATE_LIMITS,
    ),
    *(FailureReason(status, *_SENDGRID_DOWN, API_ERRORS) for status in ("500", "502", "503")),
    FailureReason(
        "header_injection",
        "Hatch did not send it: a line break in an address, the subject or a name",
        "Remove the line break and send it again.",
    ),
    # Not delivered, as SendGrid's events report it.
    FailureReason(
        BOUNCE,
        "The address does not exist (hard bounce)",
        "Check the address with the person, or reach them another way. Hatch no longer "
        "emails this address.",
        BOUNCES,
    ),
    FailureReason(
        BLOCKED,
        "The receiving mail server turned the email away for now",
        "The address is fine: it is about the sending server or the content. Send it again "
        "later; if many are blocked, ask whoever runs SendGrid to check the domain's "
        "authentication and reputation.",
        BLOCKS,
    ),
    FailureReason(
        DROPPED_BOUNCED,
        "Not sent: this address bounced before",
        "SendGrid skips addresses that bounced. Confirm the address with the person; once it "
        "works again, remove it from SendGrid's bounce list and send again.",
        BOUNCES,
    ),
    FailureReason(
        DROPPED_UNSUBSCRIBED,
        "Not sent: the person unsubscribed",
        "Respect their choice; email them again only if they ask to be subscribed again.",
        EVENTS,
    ),
    FailureReason(
        DROPPED_SPAM_REPORT,
        "Not sent: the person marked earlier email as spam",
        "Do not email them again; reach them another way if they expect an answer.",
        SPAM_REPORTS,
    ),
    FailureReason(
        DROPPED_INVALID,
        "Not sent: this is not a valid email address",
        "Correct the address (a typo?) and send again.",
        EVENTS,
    ),
    FailureReason(
        DROPPED,
        "SendGrid did not send the email",
        "The delivery details give SendGrid's reason (often the email's content or the "
        "account's settings); fix that and send again.",
        EVENTS,
    ),
)

FAILURE_REASONS: dict[str, FailureReason] = {reason.code: reason for reason in _REASONS}
