"""Who may be sent an SMS: the one place opt-outs are read and written.

A phone number is opted out when its owner replied STOP (or a provider reported that they
had); it is opted back in when they reply START. Every send reads this, at acceptance and
again just before the provider call.
"""

from collections.abc import Iterable

from messaging.models import OptOut

# Twilio's default opt-out keywords on long codes, with the two the FCC added; matched
# against the whole trimmed body, ignoring case ("Stop please" is not an opt-out).
OPT_OUT_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
OPT_IN_KEYWORDS = {"START", "YES", "UNSTOP"}


def phone_opt_out(*, phone: str, reason: str) -> None:
    """Record that ``phone`` opted out (the first reason recorded stays)."""
    OptOut.objects.get_or_create(phone=phone, defaults={"reason": reason})


def phone_opt_in(*, phone: str) -> None:
    OptOut.objects.filter(phone=phone).delete()


def is_opted_out(phone: str) -> bool:
    return OptOut.objects.filter(phone=phone).exists()


def opted_out_among(phones: Iterable[str]) -> set[str]:
    return set(OptOut.objects.filter(phone__in=set(phones)).values_list("phone", flat=True))
