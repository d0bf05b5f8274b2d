"""SendGrid's words for what happens to an email, in Hatch's."""

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

# The custom arg that carries Hatch's email id to SendGrid and back on every event.
HATCH_ID_ARG = "hatch_email_id"

# HTTP statuses of requests SendGrid refused for what they are: the same request fails again.
PERMANENT_STATUSES = {400, 401, 403, 404, 413}


def x_message_id(sg_message_id: str) -> str:
    """The X-Message-Id Mail Send answered, from an event's sg_message_id: that is the
    X-Message-Id followed by ".filter..." routing details."""
    return sg_message_id.split(".", 1)[0]


# The HTTP statuses SendGrid most often refuses an email with, in a few words: the admin's
# error code filter offers them.
ERROR_DESCRIPTIONS = {
    "400": "bad request",
    "401": "bad API key",
    "403": "sender not verified or no permission",
    "413": "too large",
    "429": "rate limited",
    "500": "SendGrid error",
}
