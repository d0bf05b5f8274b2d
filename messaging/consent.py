"""The SMS side of consent: the keywords that opt a number out and back in, and the check
every send makes.

The record itself is the consent app's, one per number or address, shared with email.
"""

from consent.models import ConsentChannel, SuppressionReason
from consent.selectors import suppression_for, suppression_sentence
from consent.services import address_lift, address_suppress

# Twilio's default opt-out keywords on long codes, with the two the FCC added; matched
# against the whole trimmed body, ignoring case ("Stop please" is not an opt-out).
OPT_OUT_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_KEYWORDS = {"START", "YES", "UNSTOP"}

# Only the person lifts an SMS opt-out, by texting START: the provider refuses the send
# anyway until they do.
SMS_OPT_OUT_REASONS = {SuppressionReason.STOP, SuppressionReason.CARRIER_OPT_OUT}


def phone_opt_out_by_keyword(*, phone: str, keyword: str) -> None:
    """Record that ``phone`` texted an opt-out keyword (the first reason recorded stays)."""
    address_suppress(
        address=phone,
        channel=ConsentChannel.SMS,
        reason=SuppressionReason.STOP,
        detail=f"texted {keyword}",
    )


def phone_opt_out_by_provider(*, phone: str, detail: str) -> None:
    """Record that the provider refused ``phone`` as opted out (e.g. Twilio's 21610)."""
    address_suppress(
        address=phone,
        channel=ConsentChannel.SMS,
        reason=SuppressionReason.CARRIER_OPT_OUT,
        detail=detail,
    )


def phone_opt_in(*, phone: str, keyword: str) -> None:
    address_lift(address=phone, reasons=SMS_OPT_OUT_REASONS, note=f"texted {keyword}")


def phone_refusal(phone: str) -> str | None:
    """Why ``phone`` may not be messaged, as the sentence a refused send gives (the reason
    and its date); None if it may. One query."""
    suppression = suppression_for(phone)
    return None if suppression is None else suppression_sentence(suppression)
