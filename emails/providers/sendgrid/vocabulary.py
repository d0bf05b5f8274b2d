"""SendGrid's words for what happens to an email, in Hatch's."""

from consent.models import SuppressionReason
from emails.models import EmailStatus

# SendGrid's event types in Hatch's vocabulary; None means "kept as an event only".
EVENT_STATUS_MAP = {
    # SendGrid has the email: a worker that died before recording its send must not send
    # it again.
    "processed": EmailStatus.SENT,
    "deferred": None,
    "delivered": EmailStatus.DELIVERED,
    "bounce": EmailStatus.BOUNCED,
    "blocked": EmailStatus.BOUNCED,
    "dropped": EmailStatus.DROPPED,
    "open": None,
    "click": None,
    "spamreport": None,
    "unsubscribe": None,
    "group_unsubscribe": None,
    "group_resubscribe": None,
}

# SendGrid's events that withdraw an address's consent, as Hatch's reasons (for "bounce"
# and "dropped" only some of them: see suppression_reason).
SUPPRESSING_EVENTS = {
    "bounce": SuppressionReason.BOUNCE,
    "dropped": SuppressionReason.DROPPED,
    "spamreport": SuppressionReason.SPAM_REPORT,
    "unsubscribe": SuppressionReason.UNSUBSCRIBE,
    "group_unsubscribe": SuppressionReason.GROUP_UNSUBSCRIBE,
}

# A bounce event's "type": "bounce" is a hard bounce (the address does not exist or refuses
# mail for good); "blocked" is the receiving server turning the message away for now (its
# IP reputation, rate limits, content), and must not stop future mail.
HARD_BOUNCE_TYPE = "bounce"

# The "reason" of a dropped event that says the address is undeliverable or unwilling, in
# lower case. Other drops ("Invalid SMTPAPI header", "Spam Content", "Recipient List over
# Package Quota") are about the email or the account, not the person.
UNDELIVERABLE_DROP_REASONS = {
    "bounced address",
    "invalid",
    "unsubscribed address",
    "spam reporting address",
}

# The event that lifts a group unsubscribe (and nothing else).
GROUP_RESUBSCRIBE = "group_resubscribe"

# Why SendGrid did not deliver an email, in Hatch's words: what Email.error_code keeps for a
# bounced or dropped email (errors.py explains each; the HTTP status of a refused send is
# the other kind of code, written by the client).
BOUNCE = "bounce"  # hard bounce: the address does not exist, or refuses mail for good
BLOCKED = "blocked"  # the receiving server turned it away for now (reputation, content)
DROPPED_BOUNCED = "dropped-bounced"  # not sent: the address bounced before
DROPPED_UNSUBSCRIBED = "dropped-unsubscribed"  # not sent: the person unsubscribed
DROPPED_SPAM_REPORT = "dropped-spam-report"  # not sent: they marked earlier mail as spam
DROPPED_INVALID = "dropped-invalid"  # not sent: not a valid address
DROPPED = "dropped"  # not sent, for any other reason (the email, the account)

# A dropped event's "reason" (lower case) and the code it gets; any other reason is DROPPED.
DROP_REASON_CODES = {
    "bounced address": DROPPED_BOUNCED,
    "unsubscribed address": DROPPED_UNSUBSCRIBED,
    "spam reporting address": DROPPED_SPAM_REPORT,
    "invalid": DROPPED_INVALID,
}


def error_code(event: str, payload: dict) -> str:
    """Hatch's code for why the email of a bounce or drop event failed; "" for any other
    event.

    A spam report gets none: it comes after the email was delivered (which it stays), and
    Hatch records it as the recipient's consent; a later email to them fails with its own
    code (dropped-spam-report, or Hatch's refusal to send).
    """
    if event == "bounce":
        # As suppression_reason reads it: a hard bounce unless the type says otherwise, and
        # any other type ("blocked") a refusal that is not the address's fault.
        bounce_type = str(payload.get("type") or HARD_BOUNCE_TYPE).strip().lower()
        return BOUNCE if bounce_type == HARD_BOUNCE_TYPE else BLOCKED
    if event == "blocked":
        return BLOCKED
    if event == "dropped":
        drop = str(payload.get("reason") or "").strip().lower()
        return DROP_REASON_CODES.get(drop, DROPPED)
    return ""


def suppression_reason(event: str, payload: dict) -> SuppressionReason | None:
    """Why an event means its recipient may no longer be emailed; None if it does not."""
    reason = SUPPRESSING_EVENTS.get(event)
    if event == "bounce":
        # Older payloads carry no type: a bounce event is a hard bounce unless it says not.
        bounce_type = str(payload.get("type") or HARD_BOUNCE_TYPE).strip().lower()
        return reason if bounce_type == HARD_BOUNCE_TYPE else None
    if event == "dropped":
        drop = str(payload.get("reason") or "").strip().lower()
        return reason if drop in UNDELIVERABLE_DROP_REASONS else None
    return reason


# The custom arg that carries Hatch's email id to SendGrid and back on every event.
HATCH_ID_ARG = "hatch_email_id"

# HTTP statuses of requests SendGrid refused for what they are: the same request fails again.
PERMANENT_STATUSES = {400, 401, 403, 404, 413}


def x_message_id(sg_message_id: str) -> str:
    """The X-Message-Id Mail Send answered, from an event's sg_message_id: that is the
    X-Message-Id followed by ".filter..." routing details."""
    return sg_message_id.split(".", 1)[0]


# The codes a failed email most often carries, in a few words: the admin's error code filter
# offers them. First the HTTP statuses SendGrid refuses a send with, then why SendGrid's
# events say it was not delivered.
ERROR_DESCRIPTIONS = {
    "400": "bad request",
    "401": "bad API key",
    "403": "sender not verified or no permission",
    "413": "too large",
    "429": "rate limited",
    "500": "SendGrid error",
    BOUNCE: "hard bounce",
    BLOCKED: "blocked by the receiving server",
    DROPPED_BOUNCED: "dropped: bounced before",
    DROPPED_UNSUBSCRIBED: "dropped: unsubscribed",
    DROPPED_SPAM_REPORT: "dropped: reported spam",
    DROPPED_INVALID: "dropped: invalid address",
    DROPPED: "dropped",
}
