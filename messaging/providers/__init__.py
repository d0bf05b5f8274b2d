"""The SMS providers Hatch can send through, by the name SMS_PROVIDER gives them.

A provider is a module or package here implementing messaging.providers.base.SmsProvider;
adding one is its package and one line below (and, when it reports error codes, its table
in the registry's failure_tables).
"""

from core.providers import ProviderRegistry

sms_providers = ProviderRegistry(
    "SMS_PROVIDER",
    {
        "twilio": "messaging.providers.twilio.TwilioSmsProvider",
        "console": "messaging.providers.console.ConsoleSmsProvider",
    },
    # Each provider's table of error codes (Message.error_code: Twilio's numbers).
    failure_tables={"twilio": "messaging.providers.twilio.errors"},
)

# Why an SMS failed, and every table of reasons: core.providers.ProviderRegistry.
failure_reason = sms_providers.failure_reason
failure_tables = sms_providers.failure_tables
