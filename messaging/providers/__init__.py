"""The SMS providers Hatch can send through, by the name SMS_PROVIDER gives them.

A provider is a module or package here implementing messaging.providers.base.SmsProvider;
adding one is its package and one line below (and, when it reports error codes, its table
in FAILURE_TABLES).
"""

from collections.abc import Mapping
from functools import cache
from importlib import import_module

from core.failures import FailureReason
from core.providers import ProviderRegistry

sms_providers = ProviderRegistry(
    "SMS_PROVIDER",
    {
        "twilio": "messaging.providers.twilio.TwilioSmsProvider",
        "console": "messaging.providers.console.ConsoleSmsProvider",
    },
)

# Each provider's table of error codes: a module with PROVIDER (its name, as people know it)
# and FAILURE_REASONS (code -> core.failures.FailureReason). Imported on first use, like the
# providers themselves.
FAILURE_TABLES = {
    "twilio": "messaging.providers.twilio.errors",
}


def failure_reason(code: int | str | None) -> FailureReason | None:
    """Why an SMS failed with ``code`` (Message.error_code, an int, or its text), in words a
    person acts on; None for no code or one no table explains."""
    key = str(code).strip() if code is not None else ""
    if not key:
        return None
    for _provider, reasons in failure_tables():
        if key in reasons:
            return reasons[key]
    return None


def failure_tables() -> list[tuple[str, Mapping[str, FailureReason]]]:
    """Every provider's table, as (provider's name, code -> reason), the configured
    provider's first.

    Every registered provider's table is read, not only the configured one's: a stored
    code was written by whichever provider sent that message, which need not be the one
    configured now (a development setup on "console" reading messages Twilio sent, or a
    team that changed providers). Codes name no provider, so on a clash the configured
    provider's meaning wins.
    """
    configured = sms_providers.configured_name()
    names = sorted(FAILURE_TABLES, key=lambda name: name != configured)
    return [_failure_table(FAILURE_TABLES[name]) for name in names]


@cache
def _failure_table(path: str) -> tuple[str, Mapping[str, FailureReason]]:
    # Importing the table imports its provider's package (and SDK) once per process.
    module = import_module(path)
    return module.PROVIDER, module.FAILURE_REASONS
