"""Twilio's words for what happens to a message, in Hatch's."""

from messaging.models import MessageStatus

# Twilio's message statuses in Hatch's vocabulary. Statuses before "sent" carry no news for
# a message Hatch has handed over (it is already "sent" here) and map to None.
STATUS_MAP = {
    "accepted": None,
    "scheduled": None,
    "queued": None,
    "sending": None,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
    "partially_delivered": MessageStatus.DELIVERED,
}

# The recipient replied STOP to this sender (or the Messaging Service): Hatch records the
# opt-out and never tries this number again until it opts back in.
OPTED_OUT = "21610"
OPTED_OUT_REASON = f"Twilio {OPTED_OUT}"

# Twilio allows at most 10 media per message; a larger NumMedia is not Twilio's.
MAX_MEDIA = 10

# The error codes a failed or undelivered message most often carries, in a few words: the
# admin's error code filter offers them.
ERROR_DESCRIPTIONS = {
    "21211": "invalid 'To' number",
    "21408": "region not enabled",
    "21606": "'From' cannot send",
    OPTED_OUT: "recipient opted out",
    "21614": "not a mobile number",
    "30003": "unreachable handset",
    "30005": "unknown handset",
    "30006": "landline or unreachable carrier",
    "30007": "filtered as spam",
    "30008": "unknown error",
}
