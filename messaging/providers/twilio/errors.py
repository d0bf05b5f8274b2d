"""Twilio's error codes, each in words a person acts on, with Twilio's page for the code.

A code reaches a message two ways: the REST API refuses the send (21xxx, 20429: the client's
ProviderError) or a status callback reports it undelivered or failed (30xxx). Each title
says what happened without Twilio's jargon; each action says what the team can do, and who
(the person texted, or whoever runs the Twilio account). Meanings follow Twilio's error
dictionary (https://www.twilio.com/docs/api/errors); a code Hatch cannot be sure of is left
out rather than guessed, and the reports show an unknown code as "Error <code>".

Left out on purpose: 63016 (a WhatsApp message outside the 24-hour window): Hatch sends no
WhatsApp, so no message of Hatch's carries it.
"""

from core.failures import FailureReason

PROVIDER = "Twilio"
ERROR_PAGE = "https://www.twilio.com/docs/api/errors/{code}"


def _reason(code: int, title: str, action: str) -> FailureReason:
    return FailureReason(
        code=str(code), title=title, action=action, url=ERROR_PAGE.format(code=code)
    )


_REASONS = (
    # The send refused by the REST API.
    _reason(
        20429,
        "Twilio asked Hatch to slow down (too many requests at once)",
        "Hatch retries on its own; if the message failed anyway, retry it in a few minutes.",
    ),
    _reason(
        21211,
        "The number is not a valid phone number",
        "Check the number for a typo or a missing country code, correct the contact and send "
        "again.",
    ),
    _reason(
        21408,
        "Texting this country is switched off in the Twilio account",
        "Ask whoever runs the Twilio account to allow SMS to this country (Messaging "
        "geographic permissions), then retry.",
    ),
    _reason(
        21606,
        "Hatch's sending number cannot text this number",
        "Ask whoever runs Hatch to check that the sending number (or Messaging Service) can "
        "send SMS to this country.",
    ),
    _reason(
        21608,
        "A Twilio trial account can only text numbers verified with Twilio",
        "Verify this number in the Twilio console, or upgrade the account, then retry.",
    ),
    _reason(
        21610,
        "The person replied STOP: they unsubscribed from these texts",
        "Do not text them. They can reply START to receive texts again; reach them another way "
        "meanwhile.",
    ),
    _reason(
        21611,
        "Too many messages were waiting to go out from Hatch's number",
        "Retry once the backlog has cleared; spread large sends out, or add numbers to the "
        "Messaging Service.",
    ),
    _reason(
        21612,
        "Twilio cannot connect Hatch's number to this number",
        "The number may be in a country or on a network Hatch's number cannot reach: ask "
        "whoever runs Hatch, or contact the person another way.",
    ),
    _reason(
        21614,
        "The number cannot receive texts (it is not a mobile number)",
        "Ask the person for a mobile number, or call them instead.",
    ),
    _reason(
        21617,
        "The message is too long (over 1,600 characters)",
        "Shorten it, or split it into several messages, and send again.",
    ),
    _reason(
        21635,
        "The number is a landline",
        "Ask the person for a mobile number, or call them instead.",
    ),
    # Reported by the status callback: sent, then not delivered.
    _reason(
        30001,
        "Too many messages were queued at once, and this one was dropped",
        "Retry in a few minutes; spread large sends over time.",
    ),
    _reason(
        30002,
        "The Twilio account is suspended",
        "Ask whoever runs the Twilio account to check its billing and any notice from Twilio; "
        "nothing can be sent until it is active again.",
    ),
    _reason(
        30003,
        "The phone is unreachable: switched off, or out of coverage",
        "Try again later; if it keeps failing, contact the person another way.",
    ),
    _reason(
        30004,
        "The message was blocked: the person or their carrier blocks texts from this number",
        "Do not keep retrying. Ask the person, another way, whether they want texts from this "
        "number.",
    ),
    _reason(
        30005,
        "The number is unknown to the carrier, or no longer in service",
        "Check the number with the person: it may have been disconnected or mistyped.",
    ),
    _reason(
        30006,
        "The number is a landline, or its carrier cannot be reached",
        "Ask the person for a mobile number, or call them instead.",
    ),
    _reason(
        30007,
        "The carrier filtered the message as spam",
        "Reword it: say who is texting, avoid link shorteners, capitals and salesy words. If "
        "many are filtered, ask whoever runs Twilio to check the number's registration.",
    ),
    _reason(
        30008,
        "The carrier could not deliver it and gave no reason",
        "Retry once; if it fails again, contact the person another way.",
    ),
    _reason(
        30010,
        "The message would have cost more than the maximum price set for it",
        "Ask whoever runs the Twilio account to raise or remove the maximum price, then retry.",
    ),
    _reason(
        30011,
        "The number cannot receive picture messages (MMS) in its country",
        "Send the text without attachments, or share a link to the file instead.",
    ),
    _reason(
        30017,
        "The carrier's network was too busy to take it",
        "Retry later; spread large sends with attachments over time.",
    ),
    _reason(
        30018,
        "This country's carriers expect a registered sender name",
        "Ask whoever runs the Twilio account to register a sender ID for this country; until "
        "then texts there may not arrive.",
    ),
    _reason(
        30019,
        "The message is too large for the person's carrier",
        "Shorten the text or send smaller attachments, then retry.",
    ),
    _reason(
        30020,
        "Twilio had an internal problem with a scheduled message",
        "Retry; if it keeps happening, contact Twilio support with the message's details.",
    ),
    _reason(
        30021,
        "Twilio had an internal problem sending it",
        "Retry; if it keeps happening, contact Twilio support with the message's details.",
    ),
    _reason(
        30022,
        "Sent faster than US carriers allow for this number's registration (10DLC)",
        "Retry later and spread large sends out. If it happens often, whoever runs Twilio can "
        "ask for a higher rate for the registered campaign.",
    ),
    _reason(
        30023,
        "The day's message limit for this business's US registration is used up (10DLC)",
        "Send it again tomorrow, or ask whoever runs Twilio to raise the daily limit.",
    ),
    _reason(
        30024,
        "The sending number is not yet set up with the person's carrier",
        "Nothing is wrong with the person's number: ask whoever runs Twilio to check the "
        "sending number's registration, and retry later.",
    ),
    _reason(
        30034,
        "Hatch's number is not registered for business texting in the US (A2P 10DLC)",
        "US carriers block texts from unregistered numbers: whoever runs the Twilio account "
        "must register the number to an approved A2P 10DLC campaign. Texts fail until then.",
    ),
    _reason(
        30035,
        "Hatch's number is still being registered for business texting in the US",
        "Wait until Twilio shows the number as registered, then send again.",
    ),
    _reason(
        30036,
        "It waited too long in Twilio's queue and expired",
        "Send it again; spread large sends out so that each message leaves sooner.",
    ),
    _reason(
        30038,
        "A text with a one-time passcode was blocked",
        "Twilio numbers do not receive one-time passcodes: have such codes sent to another number.",
    ),
)

FAILURE_REASONS: dict[str, FailureReason] = {reason.code: reason for reason in _REASONS}
